package io.sluice.engine.graph;

import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.ModelMetadata;
import java.util.concurrent.CompletableFuture;

/**
 * What graph steps call: the engine's deployments (replicas, queues, canaries and scale-to-zero
 * included).
 */
public interface StepTarget {
  CompletableFuture<InferResponse> infer(InferRequest request);

  /**
   * The deployment's metadata; throws a {@link io.sluice.api.SluiceException} when unknown or not
   * loaded.
   */
  ModelMetadata metadata(String deployment);
}
