package io.sluice.operator;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.operator.crd.InferenceService;

/** InferenceServices as users write them, in YAML. */
final class IsvcFixtures {
  private IsvcFixtures() {}

  static InferenceService isvc(String yaml) {
    return Serialization.unmarshal(yaml, InferenceService.class);
  }

  static InferenceService onnx(String name, String storageUri, String extra) {
    return isvc("""
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: %s, namespace: models}
        spec:
          predictor:
            minReplicas: 1
        %s
            model:
              modelFormat: {name: onnx}
              storageUri: %s
              protocolVersion: v2
        """.formatted(name, extra.indent(4).stripTrailing(), storageUri));
  }
}
