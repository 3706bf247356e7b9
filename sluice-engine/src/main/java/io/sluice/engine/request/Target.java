package io.sluice.engine.request;

import io.sluice.api.SluiceException;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.revision.Revision;
import java.util.function.Supplier;

/**
 * Where a request goes: its deployment and the revision chosen for it (a pin, or the traffic
 * split's draw).
 *
 * @param reselect what a new request would get now, for a request whose revision retired before it
 *     held a replica (a promote, a blue-green switch); null for pinned requests, which never move
 */
public record Target(
    Deployment deployment, Revision revision, Supplier<Revision> reselect, String multiplexed) {

  /**
   * Resolves the model (404) and selects a revision (404 for an unknown pin, 503 when none serves).
   */
  public static Target resolve(
      ModelRegistry registry, String model, String version, String revisionPin) {
    Deployment deployment = registry.resolve(model, version);
    String multiplexed = deployment.isMultiplexedModel(version) ? version : null;
    String revisionVersion = multiplexed == null ? version : null;
    Revision revision = deployment.select(revisionPin, revisionVersion);
    Supplier<Revision> reselect =
        revisionPin == null ? () -> deployment.select(null, revisionVersion) : null;
    return new Target(deployment, revision, reselect, multiplexed);
  }

  /** The same deployment on another revision. */
  Target on(Revision other) {
    return new Target(deployment, other, reselect, multiplexed);
  }

  /** The revision a new request would get now, or null when it cannot move or there is none. */
  Revision current() {
    if (reselect == null) {
      return null;
    }
    try {
      return reselect.get();
    } catch (SluiceException e) {
      return null;
    }
  }
}
