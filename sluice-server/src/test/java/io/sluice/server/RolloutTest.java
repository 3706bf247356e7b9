package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.Replica;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revisions under load: canary split, promote, rollback, pinning, shadow, and configuration
 * changes.
 */
class RolloutTest {
  private static final String TOKEN = "rollout-admin-token-0001";
  private static final String BODY =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";

  @TempDir Path dir;
  private TestServer server;
  private String model;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private String config(String version, String extra, String others) {
    return """
        server: {adminToken: %s, autoscalerInterval: 100ms}
        applications:
          - name: shop
            deployments:
              - {name: m, runtime: test-echo, storageUri: '%s', version: "%s", maxOngoingRequests: 50%s}
        %s"""
        .formatted(TOKEN, model, version, extra, others);
  }

  private void start(String yaml, boolean watch) throws Exception {
    model = Files.writeString(dir.resolve("m.model"), "echo").toUri().toString();
    server = TestServer.start(dir, yaml.replace("MODEL", model), watch);
  }

  private HttpResponse<String> admin(String method, String path, String body) {
    return server.send(
        HttpRequest.newBuilder(server.uri(path))
            .header("Authorization", "Bearer " + TOKEN)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  private Deployment deployment(String name) {
    return server.server().engine().registry().find(name).orElseThrow();
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in time");
      }
      Thread.sleep(10);
    }
  }

  private String versionOf(HttpResponse<String> response) {
    try {
      return MAPPER.readTree(response.body()).get("model_version").asText();
    } catch (Exception e) {
      throw new IllegalStateException(response.statusCode() + " " + response.body(), e);
    }
  }

  /** Clients sending requests until stopped, counting answers by version and failures. */
  private final class Load implements AutoCloseable {
    final Map<String, AtomicInteger> byVersion = new ConcurrentHashMap<>();
    final AtomicInteger failures = new AtomicInteger();

    /** What the failed requests answered, for the assertion message. */
    final List<String> failed = new java.util.concurrent.CopyOnWriteArrayList<>();

    final AtomicBoolean running = new AtomicBoolean(true);
    final List<CompletableFuture<Void>> clients = new ArrayList<>();

    /** Requests each client has finished. */
    final java.util.concurrent.atomic.AtomicIntegerArray finished;

    Load(String modelName, int clients) {
      finished = new java.util.concurrent.atomic.AtomicIntegerArray(clients);
      for (int i = 0; i < clients; i++) {
        int client = i;
        this.clients.add(
            CompletableFuture.runAsync(
                () -> {
                  while (running.get()) {
                    HttpResponse<String> response =
                        server.post("/v2/models/" + modelName + "/infer", BODY);
                    if (response.statusCode() == 200) {
                      byVersion
                          .computeIfAbsent(versionOf(response), v -> new AtomicInteger())
                          .incrementAndGet();
                    } else {
                      failures.incrementAndGet();
                      failed.add(response.statusCode() + " " + response.body());
                    }
                    finished.incrementAndGet(client);
                  }
                }));
      }
    }

    /**
     * Waits until every client has finished {@code rounds} more requests: with 2 or more, each has
     * sent one that started after this call, however slowly the machine runs. No sleeping and
     * hoping.
     */
    void awaitRounds(int rounds) throws InterruptedException {
      int[] from = new int[finished.length()];
      for (int i = 0; i < from.length; i++) {
        from[i] = finished.get(i);
      }
      await(
          () -> {
            for (int i = 0; i < from.length; i++) {
              if (finished.get(i) < from[i] + rounds) {
                return false;
              }
            }
            return true;
          });
    }

    int total() {
      return byVersion.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    @Override
    public void close() throws Exception {
      running.set(false);
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    }
  }

  private Set<String> replicaIds(Deployment deployment) {
    return deployment.replicas().stream().map(Replica::id).collect(Collectors.toSet());
  }

  @Test
  void canaryTakesItsShareThenPromoteAndRollbackMoveTrafficWithoutFailuresOrRestarts()
      throws Exception {
    start(config("1", "", "").replace("'" + model + "'", "MODEL"), false);
    HttpResponse<String> applied =
        admin("PUT", "/api/v1/config", config("2", ", canaryTrafficPercent: 10", ""));
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(applied.body()).get("updated").toString()).isEqualTo("[\"m\"]");
    Deployment m = deployment("m");
    await(() -> m.latest().state() == ModelState.READY && m.previous() != null);
    assertThat(m.latestPercent()).isEqualTo(10);
    assertThat(server.get("/metrics").body())
        .contains("sluice_revision_traffic_percent{deployment=\"m\",revision=\"1\"} 90.0")
        .contains("sluice_revision_traffic_percent{deployment=\"m\",revision=\"2\"} 10.0")
        .contains(
            "sluice_revision_replicas{deployment=\"m\",revision=\"2\",state=\"running\"} 1.0");

    int canary = 0;
    List<CompletableFuture<List<String>>> batches = new ArrayList<>();
    for (int c = 0; c < 8; c++) {
      batches.add(
          CompletableFuture.supplyAsync(
              () -> {
                List<String> versions = new ArrayList<>();
                for (int i = 0; i < 625; i++) {
                  versions.add(versionOf(server.post("/v2/models/m/infer", BODY)));
                }
                return versions;
              }));
    }
    for (CompletableFuture<List<String>> batch : batches) {
      canary += (int) batch.get(60, TimeUnit.SECONDS).stream().filter("2"::equals).count();
    }
    assertThat(canary / 5000.0).as("share of 5000 requests on the canary").isBetween(0.08, 0.12);

    Set<String> before = replicaIds(m);
    try (Load load = new Load("m", 4)) {
      load.awaitRounds(2);
      assertThat(admin("POST", "/api/v1/deployments/m/promote", null).statusCode()).isEqualTo(200);
      load.awaitRounds(2);
      int afterPromote = load.byVersion.getOrDefault("1", new AtomicInteger()).get();
      load.awaitRounds(5);
      assertThat(load.byVersion.getOrDefault("1", new AtomicInteger()).get())
          .as("no traffic to revision 1 after promote")
          .isEqualTo(afterPromote);
      assertThat(admin("POST", "/api/v1/deployments/m/rollback", null).statusCode()).isEqualTo(200);
      load.awaitRounds(2);
      int afterRollback = load.byVersion.get("2").get();
      load.awaitRounds(5);
      assertThat(load.byVersion.get("2").get())
          .as("no traffic to revision 2 after rollback")
          .isEqualTo(afterRollback);
      load.close();
      assertThat(load.failures.get()).as("%s", load.failed).isZero();
    }
    assertThat(replicaIds(m)).as("promote and rollback restart no replica").isEqualTo(before);

    HttpResponse<String> pinned =
        server.send(
            HttpRequest.newBuilder(server.uri("/v2/models/m/infer"))
                .header("x-sluice-revision", "2")
                .POST(HttpRequest.BodyPublishers.ofString(BODY))
                .build());
    assertThat(versionOf(pinned)).isEqualTo("2");
    assertThat(
            server
                .send(
                    HttpRequest.newBuilder(server.uri("/v2/models/m/infer"))
                        .header("x-sluice-revision", "7")
                        .POST(HttpRequest.BodyPublishers.ofString(BODY))
                        .build())
                .statusCode())
        .isEqualTo(404);
    assertThat(versionOf(server.post("/v2/models/m/versions/2/infer", BODY))).isEqualTo("2");
    io.grpc.Metadata pin = new io.grpc.Metadata();
    pin.put(
        io.grpc.Metadata.Key.of("x-sluice-revision", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
        "2");
    var grpcReply =
        server
            .grpc()
            .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(pin))
            .modelInfer(
                io.sluice.protocol.kserve.grpc.proto.ModelInferRequest.newBuilder()
                    .setModelName("m")
                    .addInputs(
                        io.sluice.protocol.kserve.grpc.proto.ModelInferRequest.InferInputTensor
                            .newBuilder()
                            .setName("INPUT0")
                            .setDatatype("FP32")
                            .addShape(1)
                            .setContents(
                                io.sluice.protocol.kserve.grpc.proto.InferTensorContents
                                    .newBuilder()
                                    .addFp32Contents(1)))
                    .build());
    assertThat(grpcReply.getModelVersion())
        .as("gRPC metadata pins the revision too")
        .isEqualTo("2");
  }

  @Test
  void applyingAConfigurationUnderLoadFailsNothingAndKeepsUnchangedReplicas() throws Exception {
    String steady =
        "  - name: other\n    deployments:\n      - {name: steady, runtime: test-echo, storageUri: 'MODEL'}\n";
    start(config("1", "", steady).replace("'" + model + "'", "MODEL"), false);
    Set<String> steadyReplicas = replicaIds(deployment("steady"));
    try (Load onM = new Load("m", 3);
        Load onSteady = new Load("steady", 1)) {
      onM.awaitRounds(2);
      onSteady.awaitRounds(2);
      String next =
          config(
              "2",
              "",
              steady.replace("MODEL", model)
                  + "  - name: fresh\n    deployments:\n      - {name: fresh, runtime: test-echo, storageUri: '"
                  + model
                  + "'}\n");
      HttpResponse<String> applied = admin("PUT", "/api/v1/config", next);
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      JsonNode result = MAPPER.readTree(applied.body());
      assertThat(result.get("updated").toString()).isEqualTo("[\"m\"]");
      assertThat(result.get("unchanged").toString()).isEqualTo("[\"steady\"]");
      assertThat(result.get("created").toString()).isEqualTo("[\"fresh\"]");
      await(
          () ->
              deployment("m").previous() == null
                  && deployment("m").latest().spec().version().equals("2"));
      onM.awaitRounds(2);
      onM.close();
      onSteady.close();
      assertThat(onM.failures.get() + onSteady.failures.get())
          .as("%s %s", onM.failed, onSteady.failed)
          .isZero();
      assertThat(onM.byVersion.get("2").get()).isPositive();
    }
    assertThat(replicaIds(deployment("steady"))).isEqualTo(steadyReplicas);
    await(() -> server.post("/fresh/v2/models/fresh/infer", BODY).statusCode() == 200);

    HttpResponse<String> removed = admin("PUT", "/api/v1/config", config("2", "", ""));
    assertThat(MAPPER.readTree(removed.body()).get("removed").toString())
        .isEqualTo("[\"steady\",\"fresh\"]");
    assertThat(server.post("/v2/models/steady/infer", BODY).statusCode()).isEqualTo(404);
    assertThat(server.post("/fresh/v2/models/fresh/infer", BODY).statusCode()).isEqualTo(404);
    assertThat(
            admin(
                    "PUT",
                    "/api/v1/config",
                    "applications: [{name: x, deployments: [{name: x, runtime: nope, storageUri: 'MODEL'}]}]"
                        .replace("MODEL", model))
                .body())
        .contains("applications[0].deployments[0].runtime: unknown runtime 'nope'");
  }

  @Test
  void shadowTrafficIsMirroredAndItsAnswersDiscarded() throws Exception {
    String mirror =
        "  - name: dark\n    deployments:\n      - {name: mirror, runtime: test-echo, storageUri: 'MODEL', version: \"9\"}\n";
    start(
        config("1", ", shadow: {deployment: mirror, percent: 100}", mirror)
            .replace("'" + model + "'", "MODEL"),
        false);
    for (int i = 0; i < 20; i++) {
      assertThat(versionOf(server.post("/v2/models/m/infer", BODY))).isEqualTo("1");
    }
    await(() -> deployment("mirror").statistics().inferenceCount() == 20);
  }

  @Test
  void editingTheConfigurationFileReloadsTheServer() throws Exception {
    start(config("1", "", "").replace("'" + model + "'", "MODEL"), true);
    Files.writeString(dir.resolve("sluice.yaml"), config("2", "", ""));
    await(
        () ->
            deployment("m").latest().spec().version().equals("2")
                && deployment("m").state() == ModelState.READY
                && deployment("m").previous() == null);
    assertThat(versionOf(server.post("/v2/models/m/infer", BODY))).isEqualTo("2");
    Files.writeString(
        dir.resolve("sluice.yaml"),
        "applications: [{name: broken, deployments: [{name: m, runtime: test-echo}]}]");
    await(
        () ->
            server.server().engine().events().since(0).stream()
                .anyMatch(event -> event.kind() == EngineEvent.Kind.CONFIG_REFUSED));
    assertThat(versionOf(server.post("/v2/models/m/infer", BODY)))
        .as("an invalid file changes nothing")
        .isEqualTo("2");
  }
}
