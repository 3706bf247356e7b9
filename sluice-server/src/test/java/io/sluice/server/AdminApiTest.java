package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.server.cli.SluiceCommand;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The admin API and the CLI commands that use it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminApiTest {
  private static final String TOKEN = "test-admin-token-0123456789";
  private static final String BODY =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String model = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server: {adminToken: %2$s}
        applications:
          - name: shop
            routePrefix: /shop
            deployments:
              - {name: fixed, runtime: test-echo, storageUri: '%1$s', settings: {delayMs: '30'}, maxOngoingRequests: 2}
              - name: auto
                runtime: test-echo
                storageUri: '%1$s'
                autoscaling: {minReplicas: 1, maxReplicas: 3}
        """
                .formatted(model, TOKEN));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private HttpResponse<String> admin(String method, String path, String body, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri(path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return server.send(request.build());
  }

  @Test
  void everyAdminRouteNeedsTheBearerToken() throws Exception {
    HttpResponse<String> missing = admin("GET", "/api/v1/status", null, null);
    assertThat(missing.statusCode()).isEqualTo(401);
    assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(MAPPER.readTree(missing.body()).get("error").asText()).contains("Bearer");
    assertThat(admin("GET", "/api/v1/status", null, "wrong-token-wrong-token").statusCode())
        .isEqualTo(401);
    assertThat(
            admin("POST", "/api/v1/deployments/fixed/scale", "{\"replicas\":2}", null).statusCode())
        .isEqualTo(401);
  }

  @Test
  void statusShowsApplicationsDeploymentsReplicasAndAutoscalerSettings() throws Exception {
    JsonNode status = MAPPER.readTree(admin("GET", "/api/v1/status", null, TOKEN).body());
    assertThat(status.get("ready").asBoolean()).isTrue();
    JsonNode app = status.get("applications").get(0);
    assertThat(app.get("name").asText()).isEqualTo("shop");
    assertThat(app.get("routePrefix").asText()).isEqualTo("/shop");
    JsonNode fixed = app.get("deployments").get(0);
    assertThat(fixed.get("name").asText()).isEqualTo("fixed");
    assertThat(fixed.get("state").asText()).isEqualTo("READY");
    JsonNode revision = fixed.get("revisions").get(0);
    assertThat(revision.get("revision").asInt()).isEqualTo(1);
    assertThat(revision.get("trafficPercent").asInt()).isEqualTo(100);
    assertThat(revision.get("autoscaling").isNull()).isTrue();
    assertThat(revision.get("replicas").get(0).get("state").asText()).isEqualTo("READY");
    assertThat(revision.get("replicas").get(0).get("host").asText()).isEqualTo("in-process");
    JsonNode auto = app.get("deployments").get(1).get("revisions").get(0).get("autoscaling");
    assertThat(auto.get("maxReplicas").asInt()).isEqualTo(3);
    assertThat(auto.get("targetOngoingRequests").asDouble()).isEqualTo(2.0);
    assertThat(auto.get("upscaleDelayMs").asLong()).isEqualTo(30_000);
    assertThat(auto.get("downscaleDelayMs").asLong()).isEqualTo(600_000);
  }

  @Test
  void scalingUnderLoadFailsNoRequestAndKeepsTheHealthyReplicas() throws Exception {
    Deployment fixed = server.server().engine().registry().find("fixed").orElseThrow();
    Replica original = fixed.replicas().get(0);
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger failures = new AtomicInteger();
    AtomicInteger served = new AtomicInteger();
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                while (running.get()) {
                  if (server.post("/v2/models/fixed/infer", BODY).statusCode() == 200) {
                    served.incrementAndGet();
                  } else {
                    failures.incrementAndGet();
                  }
                }
              }));
    }
    try {
      HttpResponse<String> up =
          admin("POST", "/api/v1/deployments/fixed/scale", "{\"replicas\":3}", TOKEN);
      assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (fixed.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count() < 3) {
        assertThat(System.nanoTime()).isLessThan(deadline);
        Thread.sleep(10);
      }
      Thread.sleep(300);
      Set<String> used = fixed.replicas().stream().map(Replica::id).collect(Collectors.toSet());
      assertThat(used).contains(original.id());
      assertThat(
              admin("POST", "/api/v1/deployments/fixed/scale", "{\"replicas\":1}", TOKEN)
                  .statusCode())
          .isEqualTo(200);
      Thread.sleep(500);
    } finally {
      running.set(false);
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    }
    assertThat(failures.get()).isZero();
    assertThat(served.get()).isPositive();
    assertThat(fixed.latest().targetReplicas()).isEqualTo(1);
  }

  @Test
  void scaleRefusesAutoscaledDeploymentsAndBadBodies() throws Exception {
    assertThat(
            admin("POST", "/api/v1/deployments/auto/scale", "{\"replicas\":2}", TOKEN).statusCode())
        .isEqualTo(409);
    assertThat(
            admin("POST", "/api/v1/deployments/fixed/scale", "{\"replicas\":\"many\"}", TOKEN)
                .statusCode())
        .isEqualTo(400);
    assertThat(
            admin("POST", "/api/v1/deployments/nope/scale", "{\"replicas\":2}", TOKEN).statusCode())
        .isEqualTo(404);
  }

  @Test
  void theStatusCommandPrintsEachDeployment() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SluiceCommand.class.getName(),
                "status",
                "--url",
                server.uri("").toString(),
                "--token",
                TOKEN)
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output)
        .contains("server ready: true")
        .containsPattern("shop\\s+fixed\\s+1\\s+READY\\s+100")
        .containsPattern("shop\\s+auto\\s+1\\s+READY");
  }
}
