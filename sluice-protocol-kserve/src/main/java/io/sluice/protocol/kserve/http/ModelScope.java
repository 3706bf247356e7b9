package io.sluice.protocol.kserve.http;

import io.sluice.api.ModelNotFoundException;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.model.ModelStatus;
import java.util.List;

/**
 * The models a route table may address: all of them at the server root, or one application's under
 * its route prefix ({@code /mnist/v2/models/mnist/infer}).
 */
public final class ModelScope {
  private final ModelRegistry registry;
  private final String application;

  private ModelScope(ModelRegistry registry, String application) {
    this.registry = registry;
    this.application = application;
  }

  public static ModelScope global(ModelRegistry registry) {
    return new ModelScope(registry, null);
  }

  public static ModelScope application(ModelRegistry registry, String application) {
    return new ModelScope(registry, application);
  }

  /** Throws not-found for a model that exists but belongs to another application. */
  public void check(String model) {
    if (application == null) {
      return;
    }
    registry.find(model).ifPresent(deployment -> {
      if (!deployment.spec().application().equals(application)) {
        throw new ModelNotFoundException(
            "model '" + model + "' is not part of application '" + application + "'");
      }
    });
  }

  public boolean includes(Deployment deployment) {
    return application == null || deployment.spec().application().equals(application);
  }

  public boolean includes(ModelStatus status) {
    return application == null || status.application().equals(application);
  }

  public List<Deployment> deployments() {
    return registry.all().stream().filter(this::includes).toList();
  }
}
