package io.sluice.engine.request;

import io.sluice.api.InferRequest;
import io.sluice.api.SluiceException;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.model.TrafficSpec;
import io.sluice.engine.revision.Revision;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mirrors a share of a deployment's requests to its shadow; the shadow's answers are discarded, its
 * metrics kept.
 */
public final class Shadow {
  private static final Logger log = LoggerFactory.getLogger(Shadow.class);

  private final ModelRegistry registry;
  private final Retries retries;

  public Shadow(ModelRegistry registry, Retries retries) {
    this.registry = registry;
    this.retries = retries;
  }

  /** Sends a copy of the request to the deployment's shadow, if it has one and the draw says so. */
  public void mirror(Deployment deployment, InferRequest request) {
    TrafficSpec.ShadowSpec shadow = deployment.traffic().shadow();
    if (shadow == null || ThreadLocalRandom.current().nextDouble(100) >= shadow.percent()) {
      return;
    }
    try {
      Deployment target =
          shadow.deployment() == null ? deployment : registry.resolve(shadow.deployment(), null);
      Revision revision =
          shadow.deployment() == null ? deployment.latest() : target.select(null, null);
      InferRequest copy =
          new InferRequest(
              target.name(),
              null,
              request.id(),
              request.parameters(),
              request.inputs(),
              request.requestedOutputs());
      retries
          .dispatch(new Target(target, revision, null, null), copy)
          .whenComplete((ignored, error) -> {});
    } catch (SluiceException e) {
      log.debug("shadow of {} skipped: {}", deployment.name(), e.getMessage());
    }
  }
}
