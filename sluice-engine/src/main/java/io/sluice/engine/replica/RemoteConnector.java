package io.sluice.engine.replica;

import io.sluice.engine.model.DeploymentSpec;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.SupervisedModel;

/**
 * Connects remote replicas to their upstream server ({@code hosting: remote}). The engine knows no
 * protocol: the server wires in an implementation (V2 over HTTP today).
 */
@FunctionalInterface
public interface RemoteConnector {
  /** Reaches the upstream model named by the spec, learns its metadata, or says why it cannot. */
  SupervisedModel connect(String replicaId, DeploymentSpec spec) throws ModelLoadException;

  RemoteConnector NONE =
      (replicaId, spec) -> {
        throw new ModelLoadException("remote hosting is not available in this server");
      };
}
