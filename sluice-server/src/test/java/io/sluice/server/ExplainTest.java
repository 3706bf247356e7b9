package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.testkit.OnnxModelWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * V1 {@code :explain} and V2 {@code /explain} on a linear ONNX model, whose true attributions are known: each
 * feature's is its weight times its difference from the baseline.
 */
class ExplainTest {
  private static final float[] W = {0.5f, -2f, 3f, 1.5f};

  @Test
  void kernelShapAndOcclusionRecoverTheLinearModelsAttributions(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("linear.onnx");
    OnnxModelWriter.writeLinear(model, W, 0.7f);
    try (TestServer server = TestServer.start(dir, """
        applications:
          - name: tabular
            deployments:
              - {name: linear, runtime: onnx, storageUri: '%s', batching: {maxBatchSize: 32, batchWaitTimeout: 1ms}}
        """.formatted(model.toUri()))) {
      HttpResponse<String> v1 = server.post("/v1/models/linear:explain",
          "{\"instances\": [[1, 2, 3, 4], [0, 0, 0, 1]], \"parameters\": {\"method\": \"kernel_shap\", \"baseline\": 1}}");
      assertThat(v1.statusCode()).as(v1.body()).isEqualTo(200);
      JsonNode explanations = MAPPER.readTree(v1.body()).get("explanations");
      assertThat(explanations).hasSize(2);
      float[][] instances = {{1, 2, 3, 4}, {0, 0, 0, 1}};
      for (int n = 0; n < 2; n++) {
        JsonNode explanation = explanations.get(n);
        assertThat(explanation.get("method").asText()).isEqualTo("kernel_shap");
        for (int i = 0; i < W.length; i++) {
          assertThat(explanation.get("attributions").get(i).asDouble()).isCloseTo(W[i] * (instances[n][i] - 1), Offset.offset(1e-4));
        }
        assertThat(explanation.get("model_calls").asInt()).isBetween(1, 64);
      }

      HttpResponse<String> v2 = server.post("/v2/models/linear/explain", """
          {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [2, 2, 2, 2]}],
           "parameters": {"method": "occlusion", "baseline": 0}}""");
      assertThat(v2.statusCode()).as(v2.body()).isEqualTo(200);
      JsonNode occlusion = MAPPER.readTree(v2.body()).get("explanations").get(0);
      assertThat(MAPPER.readTree(v2.body()).get("model_name").asText()).isEqualTo("linear");
      for (int i = 0; i < W.length; i++) {
        assertThat(occlusion.get("attributions").get(i).asDouble()).isCloseTo(W[i] * 2, Offset.offset(1e-4));
      }
      assertThat(occlusion.get("prediction").asDouble()).isCloseTo(2 * (0.5 - 2 + 3 + 1.5) + 0.7, Offset.offset(1e-4));
      assertThat(occlusion.get("baseline_prediction").asDouble()).isCloseTo(0.7, Offset.offset(1e-5));

      assertThat(server.post("/v2/models/linear/explain", """
          {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [2, 2, 2, 2]}],
           "parameters": {"method": "lime"}}""").statusCode()).isEqualTo(400);
      assertThat(server.post("/v1/models/linear:explain", "{\"instances\": [[1, 2, 3, 4]], \"parameters\": {\"target\": 3}}")
          .statusCode()).isEqualTo(400);
    }
  }
}
