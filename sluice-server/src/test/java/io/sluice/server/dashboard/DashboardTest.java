package io.sluice.server.dashboard;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.server.TestServer;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web dashboard: its stream read by a plain client, and the page driven in Chromium by
 * playwright-core.
 */
class DashboardTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String TOKEN = "dashboard-admin-token-0123456789";
  private static final Path NODE = Path.of("src/test/node");
  private static final Path CHROMIUM =
      Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

  private static String config(Path dir, String extraServer) throws Exception {
    Path softmax = Path.of("../models/softmax/model.onnx").toAbsolutePath().normalize();
    String echo = Files.writeString(dir.resolve("echo.model"), "echo").toUri().toString();
    return """
        server: {adminToken: %s%s}
        applications:
          - name: vision
            routePrefix: /vision
            deployments:
              - {name: softmax, runtime: onnx, storageUri: '%s'}
          - name: tools
            routePrefix: /tools
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s', settings: {inputs: 'INPUT0:FP32:-1'}%s}
        """
        .formatted(TOKEN, extraServer, softmax.toUri(), echo, "%s");
  }

  private static String softmaxBody() {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      data.append(i == 0 ? "" : ",").append(i % 5);
    }
    return "{\"inputs\":[{\"name\":\"x\",\"shape\":[3,4,5],\"datatype\":\"FP32\",\"data\":["
        + data
        + "]}]}";
  }

  @Test
  void theStreamSendsHistoryStatusThenASampleEverySecondAndEventsWithoutAToken(@TempDir Path dir)
      throws Exception {
    try (TestServer server = TestServer.start(dir, config(dir, "").formatted(""))) {
      for (int i = 0; i < 20; i++) {
        assertThat(server.post("/v2/models/softmax/infer", softmaxBody()).statusCode())
            .isEqualTo(200);
      }
      assertThat(server.post("/v2/models/softmax/infer", "{\"inputs\": 5}").statusCode())
          .isEqualTo(400);
      HttpResponse<InputStream> response =
          server
              .http()
              .send(
                  HttpRequest.newBuilder(server.uri("/dashboard/stream"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream");
      List<String> kinds = new ArrayList<>();
      JsonNode sample = null;
      JsonNode history = null;
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        String event = null;
        String line;
        while (sample == null && (line = lines.readLine()) != null) {
          if (line.startsWith("event: ")) {
            event = line.substring(7);
            kinds.add(event);
          } else if (line.startsWith("data: ")) {
            JsonNode data = MAPPER.readTree(line.substring(6));
            if (event.equals("history")) {
              history = data;
            } else if (event.equals("sample")
                && data.get("sample")
                        .get("deployments")
                        .get("softmax")
                        .get("requestsPerSecond")
                        .asDouble()
                    > 0) {
              sample = data;
            } else if (event.equals("sample")
                && data.get("sample")
                        .get("deployments")
                        .get("softmax")
                        .get("requestsPerSecond")
                        .asDouble()
                    == 0) {
              server.post(
                  "/v2/models/softmax/infer",
                  softmaxBody()); // keep traffic flowing until one second saw it
            }
          }
        }
      }
      assertThat(kinds.subList(0, 3)).containsExactly("history", "status", "sample");
      assertThat(history.get("events").toString())
          .contains("MODEL_LOADED")
          .contains("REPLICA_STARTED");
      JsonNode softmax = sample.get("sample").get("deployments").get("softmax");
      assertThat(softmax.get("replicas").asInt()).isEqualTo(1);
      assertThat(softmax.has("p99Ms")).isTrue();
      assertThat(sample.get("status").get("applications").get(0).get("name").asText())
          .isEqualTo("vision");

      assertThat(server.get("/dashboard/").body()).contains("<title>Sluice dashboard</title>");
      assertThat(server.get("/dashboard/vendor/uPlot.iife.min.js").statusCode()).isEqualTo(200);
      assertThat(server.get("/dashboard/vendor/../../api/v1/status").statusCode())
          .isNotEqualTo(200);
      assertThat(server.get("/dashboard/nothing.js").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void unloadAndLoadThroughTheAdminApiNeedTheTokenAndShowInTheEventLog(@TempDir Path dir)
      throws Exception {
    try (TestServer server = TestServer.start(dir, config(dir, "").formatted(""))) {
      assertThat(admin(server, "/api/v1/deployments/echo/unload", null).statusCode())
          .isEqualTo(401);
      HttpResponse<String> unloaded = admin(server, "/api/v1/deployments/echo/unload", TOKEN);
      assertThat(unloaded.statusCode()).as(unloaded.body()).isEqualTo(200);
      assertThat(MAPPER.readTree(unloaded.body()).get("state").asText()).isNotEqualTo("READY");
      String body =
          "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";
      assertThat(server.post("/v2/models/echo/infer", body).statusCode()).isEqualTo(503);
      HttpResponse<String> loaded = admin(server, "/api/v1/deployments/echo/load", TOKEN);
      assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);
      assertThat(MAPPER.readTree(loaded.body()).get("state").asText()).isEqualTo("READY");
      assertThat(server.post("/v2/models/echo/infer", body).statusCode()).isEqualTo(200);
      assertThat(admin(server, "/api/v1/deployments/nope/load", TOKEN).statusCode()).isEqualTo(404);

      HttpResponse<InputStream> stream =
          server
              .http()
              .send(
                  HttpRequest.newBuilder(server.uri("/dashboard/stream"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader lines =
          new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
        lines.readLine(); // event: history
        String events =
            MAPPER.readTree(lines.readLine().substring("data: ".length())).get("events").toString();
        assertThat(events).contains("MODEL_UNLOADED").contains("REPLICA_STOPPED");
        assertThat(events.lastIndexOf("MODEL_LOADED"))
            .isGreaterThan(events.indexOf("MODEL_UNLOADED"));
      }
    }
  }

  private static HttpResponse<String> admin(TestServer server, String path, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri(path)).POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return server.send(request.build());
  }

  @Test
  void theDashboardCanBeTurnedOff(@TempDir Path dir) throws Exception {
    try (TestServer server =
        TestServer.start(dir, config(dir, ", dashboard: false").formatted(""))) {
      assertThat(server.get("/dashboard/").statusCode()).isEqualTo(404);
      assertThat(server.get("/dashboard/stream").statusCode()).isEqualTo(404);
    }
  }

  @Test
  @Tag("slow")
  void inChromiumThePlotsMoveUnderLoadAndPromoteMovesTheTraffic(@TempDir Path dir)
      throws Exception {
    require(
        Files.isDirectory(NODE.resolve("node_modules/playwright-core")),
        "npm packages missing: bin/install-test-deps runs npm ci in " + NODE);
    require(
        Files.isExecutable(CHROMIUM),
        "Chromium missing: bin/install-test-deps installs Debian's chromium");
    try (TestServer server = TestServer.start(dir, config(dir, "").formatted(""))) {
      String canary = config(dir, "").formatted(", version: '2', canaryTrafficPercent: 30");
      HttpResponse<String> applied =
          server.send(
              HttpRequest.newBuilder(server.uri("/api/v1/config"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .PUT(HttpRequest.BodyPublishers.ofString(canary))
                  .build());
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      awaitLatestTraffic(server, 30);

      AtomicBoolean loading = new AtomicBoolean(true);
      AtomicInteger answered = new AtomicInteger();
      Thread load =
          Thread.ofPlatform()
              .daemon()
              .start(
                  () -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                    while (loading.get() && System.nanoTime() < deadline) {
                      if (server.post("/v2/models/softmax/infer", softmaxBody()).statusCode()
                          == 200) {
                        answered.incrementAndGet();
                      }
                    }
                  });
      Path screenshot = dir.resolve("dashboard.png");
      JsonNode result;
      try {
        Process node =
            new ProcessBuilder(
                    "node",
                    "dashboard.mjs",
                    server.uri("").toString(),
                    TOKEN,
                    "softmax:requests",
                    "echo",
                    screenshot.toString())
                .directory(NODE.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        result = MAPPER.readTree(output.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(result.has("failure")).as(output).isFalse();
      } finally {
        loading.set(false);
        load.join(10_000);
      }
      assertThat(answered.get()).isPositive();
      assertThat(result.get("applications").asInt()).isEqualTo(2);
      assertThat(result.get("memoryHost").asText()).startsWith("host (budget ");
      assertThat(result.get("memoryRows").asInt()).as("one row per deployment").isEqualTo(2);
      assertThat(result.get("memoryPlot").asInt()).isEqualTo(1);
      assertThat(result.get("pointsAfter").asInt())
          .isGreaterThan(result.get("pointsBefore").asInt());
      assertThat(result.get("lastAfter").asDouble())
          .as("requests/s of the last point under load")
          .isPositive();
      assertThat(result.get("withoutToken").asText()).contains("admin token");
      assertThat(result.get("message").asText()).isEqualTo("promote echo: done");
      assertThat(result.get("latestTraffic").asText()).isEqualTo("100%");
      assertThat(result.get("consoleErrors")).isEmpty();
      assertThat(Files.size(screenshot)).isPositive();
      awaitLatestTraffic(server, 100);
    }
  }

  /**
   * Waits until the echo deployment's latest revision is ready and takes {@code percent} of the
   * traffic.
   */
  private static void awaitLatestTraffic(TestServer server, int percent) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> status =
          server.send(
              HttpRequest.newBuilder(server.uri("/api/v1/status"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .build());
      last = status.body();
      for (JsonNode application : MAPPER.readTree(last).get("applications")) {
        for (JsonNode deployment : application.get("deployments")) {
          JsonNode revisions = deployment.get("revisions");
          JsonNode latest = revisions.get(revisions.size() - 1);
          if (deployment.get("name").asText().equals("echo")
              && revisions.size() == 2
              && latest.get("state").asText().equals("READY")
              && latest.get("trafficPercent").asInt() == percent) {
            return;
          }
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("echo's latest revision never took " + percent + "%: " + last);
  }
}
