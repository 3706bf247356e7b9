package io.sluice.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.testkit.OnnxModelWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models that together need twice the memory budget, served by the real server over HTTP: ONNX
 * models {@code m1..m4}, model k computing {@code y = k·x + k}, each declaring 1 GiB under a 2 GiB
 * budget, so at most two may be loaded at once.
 */
@org.junit.jupiter.api.Timeout(180)
class MemoryBudgetTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String TOKEN = "memory-budget-test-token";

  private static String infer(double x) {
    return "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": ["
        + x
        + "]}]}";
  }

  private static double y(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return MAPPER.readTree(response.body()).get("outputs").get(0).get("data").get(0).asDouble();
  }

  /**
   * The most replicas that were loaded at once, replayed from the journal (one total order: a
   * replica's REPLICA_STOPPED is recorded once its model is closed, a REPLICA_STARTED once loaded).
   */
  private static int mostLoadedAtOnce(SluiceServer server) {
    int loaded = 0;
    int most = 0;
    for (EngineEvent event : server.engine().events().since(0)) {
      if (event.kind() == EngineEvent.Kind.REPLICA_STARTED) {
        most = Math.max(most, ++loaded);
      } else if (event.kind() == EngineEvent.Kind.REPLICA_STOPPED) {
        loaded--;
      }
    }
    return most;
  }

  @Test
  void fourModelsOnABudgetForTwoAnswerEveryRequestAndNeverHoldMoreThanTwo(@TempDir Path dir)
      throws Exception {
    StringBuilder deployments = new StringBuilder();
    for (int k = 1; k <= 4; k++) {
      OnnxModelWriter.writeLinear(dir.resolve("m" + k + ".onnx"), new float[] {k}, k);
      deployments.append(
          "      - {name: m%d, runtime: onnx, storageUri: m%d.onnx, keepAlive: 10m, resources: {memory: 1Gi}}\n"
              .formatted(k, k));
    }
    String config =
        """
        server: {adminToken: %s, memoryBudget: 2Gi, swapQuantum: 200ms, autoscalerInterval: 100ms}
        applications:
          - name: models
            deployments:
        %s"""
            .formatted(TOKEN, deployments);
    try (TestServer server = TestServer.start(dir, config)) {
      AtomicBoolean running = new AtomicBoolean(true);
      ConcurrentLinkedQueue<Long> samples = new ConcurrentLinkedQueue<>();
      Thread sampler =
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (running.get()) {
                      samples.add(server.server().placer().hostMemoryUsed());
                      Thread.onSpinWait();
                    }
                  });
      ExecutorService clients = Executors.newFixedThreadPool(4);
      List<Future<List<Double>>> answers = new ArrayList<>();
      for (int k = 1; k <= 4; k++) {
        int model = k;
        answers.add(
            clients.submit(
                () -> {
                  List<Double> ys = new ArrayList<>();
                  for (int i = 0; i < 12; i++) {
                    ys.add(y(server.post("/v2/models/m" + model + "/infer", infer(i))));
                  }
                  return ys;
                }));
      }
      for (int k = 1; k <= 4; k++) {
        List<Double> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          expected.add((double) (k * i + k));
        }
        assertThat(answers.get(k - 1).get()).as("model m" + k).isEqualTo(expected);
      }
      clients.shutdown();
      running.set(false);
      sampler.join();

      assertThat(mostLoadedAtOnce(server.server())).isEqualTo(2);
      assertThat(samples)
          .isNotEmpty()
          .allSatisfy(held -> assertThat(held).isLessThanOrEqualTo(2L << 30));
      String metrics = server.get("/metrics").body();
      double evictions = 0;
      for (String line : metrics.lines().toList()) {
        if (line.startsWith("sluice_deployment_evictions_total{")) {
          evictions += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      assertThat(evictions).as("four models on room for two must swap").isGreaterThanOrEqualTo(2);
      assertThat(metrics)
          .contains("sluice_memory_bytes{device=\"host\",kind=\"budget\"} " + (2.0 * (1L << 30)))
          .containsPattern("sluice_deployment_swap_seconds_count\\{deployment=\"m\\d\"\\} [1-9]");
      JsonNode status = status(server);
      assertThat(status.get("memory").get("budgetBytes").asLong()).isEqualTo(2L << 30);
      assertThat(status.get("memory").get("usedBytes").asLong()).isLessThanOrEqualTo(2L << 30);
      assertThat(status.findValues("footprintBytes"))
          .allSatisfy(bytes -> assertThat(bytes.asLong()).isEqualTo(1L << 30));
    }
  }

  @Test
  void aMultiplexedDeploymentServesEachModelByHeaderOrPathAndKeepsTheRecentlyUsed(@TempDir Path dir)
      throws Exception {
    Path variants = Files.createDirectories(dir.resolve("variants"));
    for (int k = 1; k <= 3; k++) {
      OnnxModelWriter.writeLinear(
          variants.resolve(List.of("a", "b", "c").get(k - 1) + ".onnx"), new float[] {k}, k);
    }
    String config =
        """
        server: {adminToken: %s}
        applications:
          - name: variants
            deployments:
              - {name: variants, runtime: onnx, storageUri: variants, multiplex: {maxModelsPerReplica: 2}}
        """
            .formatted(TOKEN);
    try (TestServer server = TestServer.start(dir, config)) {
      assertThat(y(post(server, "/v2/models/variants/infer", "a", 5))).isEqualTo(6);
      assertThat(y(server.post("/v2/models/variants/versions/b/infer", infer(5)))).isEqualTo(12);
      assertThat(y(post(server, "/v2/models/variants/infer", "c", 5))).isEqualTo(18);
      assertThat(y(post(server, "/v2/models/variants/infer", "a", 1))).isEqualTo(2);
      assertThat(loaded(server)).as("b was least recently used").containsExactly("c", "a");

      io.grpc.Metadata metadata = new io.grpc.Metadata();
      metadata.put(
          io.grpc.Metadata.Key.of(
              "serve_multiplexed_model_id", io.grpc.Metadata.ASCII_STRING_MARSHALLER),
          "b");
      var grpc =
          server
              .grpc()
              .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(metadata));
      var reply =
          grpc.modelInfer(
              ModelInferRequest.newBuilder()
                  .setModelName("variants")
                  .addInputs(
                      ModelInferRequest.InferInputTensor.newBuilder()
                          .setName("x")
                          .setDatatype("FP32")
                          .addShape(1)
                          .addShape(1)
                          .setContents(InferTensorContents.newBuilder().addFp32Contents(5)))
                  .build());
      float gotB =
          java.nio.ByteBuffer.wrap(reply.getRawOutputContents(0).toByteArray())
              .order(java.nio.ByteOrder.LITTLE_ENDIAN)
              .getFloat();
      assertThat(gotB).as("b over gRPC, named in metadata").isEqualTo(12f);
      assertThat(loaded(server)).containsExactly("a", "b");

      HttpResponse<String> unnamed = server.post("/v2/models/variants/infer", infer(1));
      assertThat(unnamed.statusCode()).isEqualTo(400);
      assertThat(unnamed.body()).contains("serve_multiplexed_model_id");
      assertThat(post(server, "/v2/models/variants/infer", "nope", 1).statusCode()).isEqualTo(404);
    }
  }

  private static HttpResponse<String> post(TestServer server, String path, String model, double x) {
    return server.send(
        HttpRequest.newBuilder(server.uri(path))
            .header("Content-Type", "application/json")
            .header("serve_multiplexed_model_id", model)
            .POST(HttpRequest.BodyPublishers.ofString(infer(x)))
            .build());
  }

  private static JsonNode status(TestServer server) throws Exception {
    return MAPPER.readTree(
        server
            .send(
                HttpRequest.newBuilder(server.uri("/api/v1/status"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .build())
            .body());
  }

  private static List<String> loaded(TestServer server) throws Exception {
    List<String> ids = new ArrayList<>();
    status(server).findValue("multiplexedModels").forEach(id -> ids.add(id.asText()));
    return ids;
  }

  @Test
  void keepAliveZeroOnAChatRequestUnloadsTheModelAndTheNextRequestLoadsItAgain(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("text.model"), "echo");
    String config =
        """
        server: {adminToken: %s, autoscalerInterval: 100ms}
        applications:
          - name: chat
            deployments:
              - {name: text, runtime: test-echo-text, storageUri: text.model, keepAlive: "-1"}
        """
            .formatted(TOKEN);
    try (TestServer server = TestServer.start(dir, config)) {
      String chat =
          "{\"model\": \"text\", \"max_tokens\": 4, \"messages\": [{\"role\": \"user\", \"content\": \"hello there\"}]%s}";
      HttpResponse<String> kept = server.post("/v1/chat/completions", chat.formatted(""));
      assertThat(kept.statusCode()).as(kept.body()).isEqualTo(200);
      assertThat(loadedReplicas(server)).isEqualTo(1);

      HttpResponse<String> last =
          server.post("/v1/chat/completions", chat.formatted(", \"keep_alive\": 0"));
      assertThat(last.statusCode()).as(last.body()).isEqualTo(200);
      while (loadedReplicas(server) > 0) {
        Thread.sleep(10); // unloads once the answer is written; the test's timeout bounds this
      }

      HttpResponse<String> again = server.post("/v1/chat/completions", chat.formatted(""));
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
      assertThat(MAPPER.readTree(again.body()).at("/choices/0/message/content").asText())
          .isEqualTo(MAPPER.readTree(kept.body()).at("/choices/0/message/content").asText());

      HttpResponse<String> bad =
          server.post("/v1/chat/completions", chat.formatted(", \"keep_alive\": \"soon\""));
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(MAPPER.readTree(bad.body()).at("/error/param").asText()).isEqualTo("keep_alive");
    }
  }

  private static long loadedReplicas(TestServer server) {
    return server.server().engine().registry().all().stream()
        .flatMap(d -> d.replicas().stream())
        .filter(r -> r.state() == ReplicaState.READY)
        .count();
  }
}
