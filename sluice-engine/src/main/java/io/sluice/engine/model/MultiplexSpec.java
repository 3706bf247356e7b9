package io.sluice.engine.model;

/**
 * Ray Serve's model multiplexing: the deployment's location holds many models of its runtime (one
 * per subfolder or file), a request names one, and each replica keeps at most {@code
 * maxModelsPerReplica} of them loaded, evicting the least recently used.
 */
public record MultiplexSpec(int maxModelsPerReplica) {
  public MultiplexSpec {
    if (maxModelsPerReplica < 1) {
      throw new IllegalArgumentException("maxModelsPerReplica must be at least 1");
    }
  }
}
