package io.sluice.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A protocol-neutral inference request.
 *
 * @param modelName the deployment's model name
 * @param modelVersion the version asked for, or null for the server's choice
 * @param id the client's request id, echoed in the response; may be null
 * @param parameters request parameters as decoded (String, Long, Double or Boolean values)
 * @param inputs the input tensors
 * @param requestedOutputs names of the outputs to return, or null for all of them
 * @param revision a revision number the request is pinned to, or null to follow the traffic split
 */
public record InferRequest(
    String modelName,
    String modelVersion,
    String id,
    Map<String, Object> parameters,
    List<Tensor> inputs,
    List<String> requestedOutputs,
    String revision) {
  public InferRequest(
      String modelName,
      String modelVersion,
      String id,
      Map<String, Object> parameters,
      List<Tensor> inputs,
      List<String> requestedOutputs) {
    this(modelName, modelVersion, id, parameters, inputs, requestedOutputs, null);
  }

  /** The same request for the deployment a scope resolved its model name to. */
  public InferRequest withModel(String deployment) {
    return deployment.equals(modelName)
        ? this
        : new InferRequest(
            deployment, modelVersion, id, parameters, inputs, requestedOutputs, revision);
  }

  /**
   * The same request for another version (or, of a multiplexed deployment, model); null keeps it.
   */
  public InferRequest withVersionIfAbsent(String version) {
    return version == null || version().isPresent()
        ? this
        : new InferRequest(modelName, version, id, parameters, inputs, requestedOutputs, revision);
  }

  /** The same request pinned to a revision. */
  public InferRequest withRevision(String pinned) {
    return new InferRequest(
        modelName, modelVersion, id, parameters, inputs, requestedOutputs, pinned);
  }

  public InferRequest {
    Objects.requireNonNull(modelName, "modelName");
    parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    inputs = List.copyOf(inputs);
    requestedOutputs = requestedOutputs == null ? null : List.copyOf(requestedOutputs);
  }

  public Optional<String> version() {
    return Optional.ofNullable(modelVersion).filter(v -> !v.isEmpty());
  }
}
