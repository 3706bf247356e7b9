package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.testkit.OnnxModelWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dynamic batching on a real ONNX model with a batch dimension: batched answers equal unbatched
 * ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxBatchingTest {
  private static final int WIDTH = 16;
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("mlp.onnx");
    OnnxModelWriter.writeMlp(model, WIDTH);
    server =
        TestServer.start(
            dir,
            """
        applications:
          - name: mlp
            deployments:
              - {name: plain, runtime: onnx, storageUri: '%1$s'}
              - {name: batched, runtime: onnx, storageUri: '%1$s', batching: {maxBatchSize: 8, batchWaitTimeout: 50ms}}
        """
                .formatted(model.toUri()));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static String body(int seed) {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < WIDTH; i++) {
      data.append(i == 0 ? "" : ",").append((seed * 31 + i) % 7 - 3);
    }
    return "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,"
        + WIDTH
        + "],\"datatype\":\"FP32\",\"data\":["
        + data
        + "]}]}";
  }

  @Test
  void batchedAnswersEqualUnbatchedOnes() throws Exception {
    JsonNode metadata = MAPPER.readTree(server.get("/v2/models/batched").body());
    assertThat(metadata.get("inputs").get(0).get("shape").toString())
        .isEqualTo("[-1," + WIDTH + "]");
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      calls.add(
          server
              .http()
              .sendAsync(
                  HttpRequest.newBuilder(server.uri("/v2/models/batched/infer"))
                      .POST(HttpRequest.BodyPublishers.ofString(body(i)))
                      .build(),
                  HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < 16; i++) {
      HttpResponse<String> batched = calls.get(i).get(30, TimeUnit.SECONDS);
      assertThat(batched.statusCode()).as(batched.body()).isEqualTo(200);
      JsonNode expected =
          MAPPER
              .readTree(server.post("/v2/models/plain/infer", body(i)).body())
              .get("outputs")
              .get(0);
      JsonNode actual = MAPPER.readTree(batched.body()).get("outputs").get(0);
      assertThat(actual.get("shape").toString()).isEqualTo("[1," + WIDTH + "]");
      for (int j = 0; j < WIDTH; j++) {
        assertThat(actual.get("data").get(j).asDouble())
            .isCloseTo(
                expected.get("data").get(j).asDouble(), org.assertj.core.data.Offset.offset(1e-5));
      }
    }
    JsonNode stats =
        MAPPER.readTree(server.get("/v2/models/batched/stats").body()).get("model_stats").get(0);
    assertThat(stats.get("execution_count").asLong())
        .isLessThan(stats.get("inference_count").asLong());
  }
}
