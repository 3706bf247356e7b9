package io.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InferenceServiceManifestsTest {
  @Test
  void eachServiceBecomesAnApplicationAtItsName(@TempDir Path dir) throws Exception {
    Path manifest =
        Files.writeString(
            dir.resolve("isvc.yaml"),
            """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: mnist}
        spec:
          predictor:
            minReplicas: 0
            maxReplicas: 3
            scaleTarget: 4
            containerConcurrency: 8
            timeout: 20
            canaryTrafficPercent: 10
            batcher: {maxBatchSize: 16, maxLatency: 2}
            model:
              modelFormat: {name: onnx}
              storageUri: models/mnist.onnx
              resources: {limits: {nvidia.com/gpu: "1"}}
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: chat}
        spec:
          predictor:
            model: {modelFormat: {name: gguf}, storageUri: "file:///models/qwen.gguf"}
        """);
    String yaml = InferenceServiceManifests.toConfiguration(List.of(manifest));
    assertThat(yaml)
        .contains("name: \"mnist\"")
        .contains("routePrefix: \"/mnist\"")
        .contains("runtime: \"onnx\"")
        .contains("storageUri: \"" + dir.resolve("models/mnist.onnx").toUri() + "\"")
        .contains("minReplicas: 0")
        .contains("maxReplicas: 3")
        .contains("targetOngoingRequests: 4.0")
        .contains("maxOngoingRequests: 8")
        .contains("requestTimeout: \"20s\"")
        .contains("canaryTrafficPercent: 10")
        .contains("batchWaitTimeout: \"2ms\"")
        .contains("gpus: 1.0")
        .contains("runtime: \"llama\"")
        .contains("hosting: \"worker\"");
  }

  @Test
  void whatSluiceDoesNotServeIsRefusedByName(@TempDir Path dir) throws Exception {
    String isvc =
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: x}
        spec:
          %s
          predictor:
            model: {modelFormat: {name: %s}, storageUri: %s}
        """;
    assertThatThrownBy(
            () ->
                InferenceServiceManifests.toConfiguration(
                    List.of(
                        Files.writeString(
                            dir.resolve("a.yaml"),
                            isvc.formatted("transformer: {containers: []}", "onnx", "m.onnx")))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("spec.transformer: is not supported by Sluice");
    assertThatThrownBy(
            () ->
                InferenceServiceManifests.toConfiguration(
                    List.of(
                        Files.writeString(
                            dir.resolve("b.yaml"), isvc.formatted("", "sklearn", "m.onnx")))))
        .hasMessageContaining("'sklearn' is not served by Sluice");
    assertThatThrownBy(
            () ->
                InferenceServiceManifests.toConfiguration(
                    List.of(
                        Files.writeString(
                            dir.resolve("c.yaml"),
                            isvc.formatted("", "onnx", "pvc://claim/m.onnx")))))
        .hasMessageContaining("pvc:// exists only on a cluster");
  }
}
