package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.engine.revision.Revision;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Replicas, backpressure, timeouts, autoscaling and scale-to-zero against the running server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScalingTest {
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
        server: {autoscalerInterval: 100ms}
        applications:
          - name: scaling
            deployments:
              - name: narrow
                runtime: test-echo
                storageUri: '%1$s'
                settings: {delayMs: '400'}
                maxOngoingRequests: 1
                maxQueuedRequests: 2
              - name: slow
                runtime: test-echo
                storageUri: '%1$s'
                settings: {delayMs: '1000'}
                requestTimeout: 200ms
              - name: elastic
                runtime: test-echo
                storageUri: '%1$s'
                settings: {delayMs: '100'}
                maxOngoingRequests: 1
                autoscaling: {minReplicas: 1, maxReplicas: 4, targetOngoingRequests: 1, upscaleDelay: 500ms,
                              downscaleDelay: 500ms, lookBackPeriod: 300ms}
              - name: batched
                runtime: test-echo
                storageUri: '%1$s'
                settings: {inputs: 'x:FP32:-1,2', delayMs: '50'}
                batching: {maxBatchSize: 8, batchWaitTimeout: 30ms}
              - name: sleepy
                runtime: test-echo
                storageUri: '%1$s'
                settings: {delayMs: '20'}
                maxOngoingRequests: 2
                autoscaling: {minReplicas: 0, maxReplicas: 2, initialReplicas: 1, targetOngoingRequests: 2,
                              upscaleDelay: 10s, downscaleDelay: 300ms, scaleToZeroDelay: 300ms, lookBackPeriod: 200ms}
        """
                .formatted(model));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private CompletableFuture<HttpResponse<String>> inferAsync(String model) {
    return server
        .http()
        .sendAsync(
            HttpRequest.newBuilder(server.uri("/v2/models/" + model + "/infer"))
                .POST(HttpRequest.BodyPublishers.ofString(BODY))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** The deployment's (only) revision. */
  private Revision deployment(String name) {
    return server.server().engine().registry().find(name).orElseThrow().latest();
  }

  private static long readyReplicas(Revision deployment) {
    return deployment.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count();
  }

  private static long await(BooleanSupplier condition, long timeoutMillis)
      throws InterruptedException {
    long start = System.nanoTime();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - start > TimeUnit.MILLISECONDS.toNanos(timeoutMillis)) {
        throw new AssertionError("condition not met within " + timeoutMillis + " ms");
      }
      Thread.sleep(5);
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @Test
  void aFullQueueAnswers503WithRetryAfterAndServesTheRest() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> burst = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      burst.add(inferAsync("narrow"));
    }
    int ok = 0;
    int rejected = 0;
    for (CompletableFuture<HttpResponse<String>> call : burst) {
      HttpResponse<String> response = call.get(10, TimeUnit.SECONDS);
      if (response.statusCode() == 200) {
        ok++;
      } else {
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(MAPPER.readTree(response.body()).get("error").asText()).contains("at capacity");
        rejected++;
      }
    }
    assertThat(ok).as("one running and two queued are served").isEqualTo(3);
    assertThat(rejected).isEqualTo(3);
    assertThat(server.post("/v2/models/narrow/infer", BODY).statusCode()).isEqualTo(200);
  }

  @Test
  void grpcOverloadIsUnavailable() throws Exception {
    server
        .grpc()
        .serverLive(
            io.sluice.protocol.kserve.grpc.proto.ServerLiveRequest
                .getDefaultInstance()); // connect first
    List<CompletableFuture<HttpResponse<String>>> busy = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      busy.add(inferAsync("narrow"));
    }
    await(() -> deployment("narrow").router().load().queued() == 2, 20000);
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("narrow")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("INPUT0")
                    .setDatatype("FP32")
                    .addShape(1)
                    .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
            .build();
    assertThatThrownBy(() -> server.grpc().modelInfer(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    for (CompletableFuture<HttpResponse<String>> call : busy) {
      assertThat(call.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aRequestOverItsTimeoutGets504() throws Exception {
    HttpResponse<String> response = server.post("/v2/models/slow/infer", BODY);
    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(MAPPER.readTree(response.body()).get("error").asText())
        .contains("did not answer within 200 ms");
  }

  @Test
  void aLoadStepScalesUpThenIdleScalesDown() throws Exception {
    Revision elastic = deployment("elastic");
    assertThat(elastic.targetReplicas()).isEqualTo(1);
    AtomicBoolean loading = new AtomicBoolean(true);
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(
          CompletableFuture.runAsync(
              () -> {
                while (loading.get()) {
                  assertThat(server.post("/v2/models/elastic/infer", BODY).statusCode())
                      .isEqualTo(200);
                }
              }));
    }
    try {
      await(
          () -> elastic.router().load().queued() > 0, 20000); // the step has reached the deployment
      // How soon is AutoscalingPolicyTest's (a hand-driven clock); here, that the engine's ticks
      // apply it.
      await(() -> elastic.targetReplicas() > 1, 30000);
      assertThat(elastic.lastDecision().reason()).startsWith("upscale after");
      await(() -> readyReplicas(elastic) == 4, 20000);
    } finally {
      loading.set(false);
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    }
    await(() -> elastic.targetReplicas() == 1, 20000);
    await(() -> readyReplicas(elastic) == 1, 20000);
  }

  @Test
  void concurrentRequestsAreBatchedAndEachGetsItsOwnRows() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String body =
          "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":["
              + i
              + ","
              + -i
              + "]}]}";
      calls.add(
          server
              .http()
              .sendAsync(
                  HttpRequest.newBuilder(server.uri("/v2/models/batched/infer"))
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 16; i++) {
      HttpResponse<String> response = calls.get(i).get(10, TimeUnit.SECONDS);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      assertThat(MAPPER.readTree(response.body()).get("outputs").get(0).get("data").toString())
          .isEqualTo("[" + (float) i + "," + (float) -i + "]");
    }
    var stats =
        MAPPER.readTree(server.get("/v2/models/batched/stats").body()).get("model_stats").get(0);
    assertThat(stats.get("inference_count").asLong()).isEqualTo(16);
    assertThat(stats.get("execution_count").asLong())
        .as("16 requests ran in fewer model calls")
        .isLessThanOrEqualTo(8);
    assertThat(server.get("/metrics").body())
        .containsPattern("sluice_deployment_batched_rows_total\\{deployment=\"batched\"} 16");
  }

  @Test
  void anIdleDeploymentScalesToZeroAndFiftyRequestsArrivingThenAreAllServed() throws Exception {
    Revision sleepy = deployment("sleepy");
    await(() -> sleepy.targetReplicas() == 0 && sleepy.replicas().isEmpty(), 10000);
    assertThat(server.get("/v2/models/sleepy/ready").statusCode())
        .as("scaled to zero is still ready to serve")
        .isEqualTo(200);
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      calls.add(inferAsync("sleepy"));
    }
    for (CompletableFuture<HttpResponse<String>> call : calls) {
      HttpResponse<String> response = call.get(30, TimeUnit.SECONDS);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }
    assertThat(sleepy.lastColdStartNanos()).isPositive();
    assertThat(sleepy.targetReplicas()).isPositive();
    assertThat(server.get("/metrics").body())
        .containsPattern("sluice_deployment_cold_start_seconds\\{deployment=\"sleepy\"} [0-9.]+")
        .containsPattern(
            "sluice_deployment_replicas\\{deployment=\"sleepy\",state=\"desired\"} [1-9]")
        .contains("sluice_deployment_rejected_requests_total{deployment=\"narrow\"}")
        .contains("sluice_deployment_queued_requests{deployment=\"sleepy\"}")
        .contains("sluice_autoscaler_average_load{deployment=\"elastic\"}");
  }
}
