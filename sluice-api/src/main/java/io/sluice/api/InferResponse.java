package io.sluice.api;

import java.util.List;

/**
 * A protocol-neutral inference response: outputs in the order the request asked for them.
 *
 * @param revision the number of the deployment's revision that answered, or null when not one
 *     model's
 */
public record InferResponse(
    String modelName, String modelVersion, String id, List<Tensor> outputs, Integer revision) {
  public InferResponse {
    outputs = List.copyOf(outputs);
  }

  public InferResponse(String modelName, String modelVersion, String id, List<Tensor> outputs) {
    this(modelName, modelVersion, id, outputs, null);
  }
}
