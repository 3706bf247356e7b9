package io.sluice.api;

import java.util.List;

/** A protocol-neutral inference response: outputs in the order the request asked for them. */
public record InferResponse(String modelName, String modelVersion, String id, List<Tensor> outputs) {
  public InferResponse {
    outputs = List.copyOf(outputs);
  }
}
