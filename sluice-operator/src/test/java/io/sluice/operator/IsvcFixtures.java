package io.sluice.operator;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.operator.crd.InferenceService;

/** InferenceServices as users write them, in YAML. */
final class IsvcFixtures {
  private IsvcFixtures() {}

  static InferenceService isvc(String yaml) {
    return Serialization.unmarshal(yaml, InferenceService.class);
  }

  /**
   * @param extra more predictor fields (minReplicas is 1 unless they set it)
   */
  static InferenceService onnx(String name, String storageUri, String extra) {
    String predictor = extra.contains("minReplicas") ? extra : "minReplicas: 1\n" + extra;
    return isvc(
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: %s, namespace: models}
        spec:
          predictor:
        %s
            model:
              modelFormat: {name: onnx}
              storageUri: %s
              protocolVersion: v2
        """
            .formatted(name, predictor.indent(4).stripTrailing(), storageUri));
  }
}
