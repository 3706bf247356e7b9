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
 * V1 {@code :explain} and V2 {@code /explain} on a linear ONNX model, whose true attributions are
 * known: each feature's is its weight times its difference from the baseline.
 */
class ExplainTest {
  private static final float[] W = {0.5f, -2f, 3f, 1.5f};

  @Test
  void kernelShapAndOcclusionRecoverTheLinearModelsAttributions(@TempDir Path dir)
      throws Exception {
    Path model = dir.resolve("linear.onnx");
    OnnxModelWriter.writeLinear(model, W, 0.7f);
    try (TestServer server =
        TestServer.start(
            dir,
            """
        applications:
          - name: tabular
            deployments:
              - {name: linear, runtime: onnx, storageUri: '%s', batching: {maxBatchSize: 32, batchWaitTimeout: 1ms}}
              - {name: bounded, runtime: onnx, storageUri: '%1$s',
                 explainer: {method: occlusion, baseline: 1, batchSize: 2, maxModelCalls: 2}}
        """
                .formatted(model.toUri()))) {
      HttpResponse<String> v1 =
          server.post(
              "/v1/models/linear:explain",
              "{\"instances\": [[1, 2, 3, 4], [0, 0, 0, 1]], \"parameters\": {\"method\": \"kernel_shap\", \"baseline\": 1}}");
      assertThat(v1.statusCode()).as(v1.body()).isEqualTo(200);
      JsonNode explanations = MAPPER.readTree(v1.body()).get("explanations");
      assertThat(explanations).hasSize(2);
      float[][] instances = {{1, 2, 3, 4}, {0, 0, 0, 1}};
      for (int n = 0; n < 2; n++) {
        JsonNode explanation = explanations.get(n);
        assertThat(explanation.get("method").asText()).isEqualTo("kernel_shap");
        for (int i = 0; i < W.length; i++) {
          assertThat(explanation.get("attributions").get(i).asDouble())
              .isCloseTo(W[i] * (instances[n][i] - 1), Offset.offset(1e-4));
        }
        assertThat(explanation.get("model_calls").asInt()).isBetween(1, 64);
      }

      HttpResponse<String> v2 =
          server.post(
              "/v2/models/linear/explain",
              """
          {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [2, 2, 2, 2]}],
           "parameters": {"method": "occlusion", "baseline": 0}}""");
      assertThat(v2.statusCode()).as(v2.body()).isEqualTo(200);
      JsonNode occlusion = MAPPER.readTree(v2.body()).get("explanations").get(0);
      assertThat(MAPPER.readTree(v2.body()).get("model_name").asText()).isEqualTo("linear");
      for (int i = 0; i < W.length; i++) {
        assertThat(occlusion.get("attributions").get(i).asDouble())
            .isCloseTo(W[i] * 2, Offset.offset(1e-4));
      }
      assertThat(occlusion.get("prediction").asDouble())
          .isCloseTo(2 * (0.5 - 2 + 3 + 1.5) + 0.7, Offset.offset(1e-4));
      assertThat(occlusion.get("baseline_prediction").asDouble())
          .isCloseTo(0.7, Offset.offset(1e-5));

      assertThat(
              server
                  .post(
                      "/v2/models/linear/explain",
                      """
          {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [2, 2, 2, 2]}],
           "parameters": {"method": "lime"}}""")
                  .statusCode())
          .isEqualTo(400);
      assertThat(
              server
                  .post(
                      "/v1/models/linear:explain",
                      "{\"instances\": [[1, 2, 3, 4]], \"parameters\": {\"target\": 3}}")
                  .statusCode())
          .isEqualTo(400);

      // the deployment's explainer: occlusion against 1 by default; its bound (2 calls of 2 rows)
      // holds 4 - 2
      // perturbed inputs, too few for 4 features one by one, enough for windows of 2; a request
      // cannot raise it
      HttpResponse<String> configured =
          server.post(
              "/v1/models/bounded:explain",
              "{\"instances\": [[3, 3, 3, 3]], \"parameters\": {\"window\": 2}}");
      assertThat(configured.statusCode()).as(configured.body()).isEqualTo(200);
      JsonNode windows = MAPPER.readTree(configured.body()).get("explanations").get(0);
      assertThat(windows.get("method").asText()).isEqualTo("occlusion");
      assertThat(windows.get("attributions").get(0).asDouble())
          .isCloseTo((W[0] + W[1]) * 2, Offset.offset(1e-4));
      assertThat(windows.get("model_calls").asInt()).isEqualTo(2);
      assertThat(
              server
                  .post(
                      "/v1/models/bounded:explain",
                      "{\"instances\": [[3, 3, 3, 3]], \"parameters\": {\"max_model_calls\": 100}}")
                  .statusCode())
          .isEqualTo(400);
    }
  }
}
