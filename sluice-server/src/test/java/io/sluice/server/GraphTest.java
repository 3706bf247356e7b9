package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.testkit.OnnxModelWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inference graphs served at their route prefix, their steps calling ONNX deployments through the
 * engine: {@code plus1} computes x + 1 and {@code double} 2x, each on x of shape [batch, 1].
 */
class GraphTest {
  private static final String TOKEN = "graph-test-admin-token";

  private static String config(Path dir, String graphs) {
    return """
        server: {adminToken: %s}
        applications:
          - name: maths
            deployments:
              - {name: plus1, runtime: onnx, storageUri: plus1.onnx}
              - {name: double, runtime: onnx, storageUri: double.onnx, batching: {maxBatchSize: 8, batchWaitTimeout: 1ms}}
              - {name: slow, runtime: test-echo, storageUri: '.', settings: {inputs: 'x:FP32:-1,1', delayMs: '8000'}}
        graphs:
        %s
        """
        .formatted(TOKEN, graphs.indent(2));
  }

  private static String infer(double x) {
    return "{\"id\": \"q\", \"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": ["
        + x
        + "]}]}";
  }

  private static double output(HttpResponse<String> response, String name) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    for (JsonNode output : MAPPER.readTree(response.body()).get("outputs")) {
      if (output.get("name").asText().equals(name)) {
        return output.get("data").get(0).asDouble();
      }
    }
    throw new AssertionError("no output " + name + " in " + response.body());
  }

  @Test
  void graphsRunTheirNodesThroughTheEngineAndNameTheStepThatFailed(@TempDir Path dir)
      throws Exception {
    OnnxModelWriter.writeLinear(dir.resolve("plus1.onnx"), new float[] {1}, 1);
    OnnxModelWriter.writeLinear(dir.resolve("double.onnx"), new float[] {2}, 0);
    String graphs =
        """
        - name: chain
          nodes:
            root:
              routerType: Sequence
              steps:
                - {name: first, serviceName: plus1}
                - {name: second, serviceName: double, data: $response}
                - {name: pick, nodeName: choose}
            choose:
              routerType: Switch
              steps:
                - {name: big, serviceName: double, condition: 'y[0] > 10'}
                - {name: small, serviceName: plus1, condition: 'y[0] <= 10'}
        - name: both
          routePrefix: /ensemble
          nodes:
            root:
              routerType: Ensemble
              steps: [{serviceName: plus1}, {serviceName: double}]
        - name: hang
          nodes:
            root:
              routerType: Sequence
              steps: [{name: first, serviceName: plus1}, {name: wait, serviceName: slow, timeout: 300ms}]
        """;
    try (TestServer server = TestServer.start(dir, config(dir, graphs))) {
      // (1 + 1) * 2 = 4, then small: 4 + 1 = 5; (5 + 1) * 2 = 12, then big: 24
      assertThat(output(server.post("/chain", infer(1)), "y")).isEqualTo(5);
      assertThat(output(server.post("/chain/v2/models/chain/infer", infer(5)), "y")).isEqualTo(24);
      assertThat(MAPPER.readTree(server.post("/chain", infer(1)).body()).get("model_name").asText())
          .isEqualTo("chain");

      HttpResponse<String> merged = server.post("/ensemble", infer(3));
      assertThat(output(merged, "plus1.y")).isEqualTo(4);
      assertThat(output(merged, "double.y")).isEqualTo(6);

      HttpResponse<String> badShape =
          server.post(
              "/chain",
              "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 2], \"data\": [1, 2]}]}");
      assertThat(badShape.statusCode()).isEqualTo(400);
      assertThat(MAPPER.readTree(badShape.body()).get("error").asText())
          .startsWith("step 'first' (deployment 'plus1') failed:");

      long started = System.nanoTime();
      HttpResponse<String> timedOut = server.post("/hang", infer(1));
      assertThat(timedOut.statusCode()).isEqualTo(504);
      assertThat(MAPPER.readTree(timedOut.body()).get("error").asText())
          .isEqualTo("step 'wait' (deployment 'slow') failed: did not answer within 300 ms");
      // the step takes 8 s: an answer well before it is the 300 ms timeout's, even on a loaded
      // machine
      assertThat((System.nanoTime() - started) / 1e9).isLessThan(6.0);

      JsonNode status =
          MAPPER.readTree(
              server
                  .send(
                      HttpRequest.newBuilder(server.uri("/api/v1/status"))
                          .header("Authorization", "Bearer " + TOKEN)
                          .build())
                  .body());
      assertThat(status.get("graphs").findValuesAsText("name"))
          .containsExactly("chain", "both", "hang");

      // a reapplied configuration changes a graph in place and removes another
      HttpResponse<String> applied =
          server.send(
              HttpRequest.newBuilder(server.uri("/api/v1/config"))
                  .header("Authorization", "Bearer " + TOKEN)
                  .PUT(
                      HttpRequest.BodyPublishers.ofString(
                          config(
                              dir,
                              """
              - name: chain
                nodes:
                  root: {routerType: Sequence, steps: [{serviceName: double}, {serviceName: double}]}
              """)))
                  .build());
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      assertThat(output(server.post("/chain", infer(1)), "y")).isEqualTo(4);
      assertThat(server.post("/ensemble", infer(1)).statusCode()).isEqualTo(404);
    }
  }
}
