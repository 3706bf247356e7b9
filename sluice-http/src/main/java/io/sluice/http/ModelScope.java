package io.sluice.http;

import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.ModelStatus;
import java.util.List;

/**
 * The models a route table may address: all of them at the server root, or one application's under
 * its route prefix ({@code /mnist/v2/models/mnist/infer}).
 */
public final class ModelScope {
  private final EngineClient engine;
  private final String application;

  private ModelScope(EngineClient engine, String application) {
    this.engine = engine;
    this.application = application;
  }

  public static ModelScope global(EngineClient engine) {
    return new ModelScope(engine, null);
  }

  public static ModelScope application(EngineClient engine, String application) {
    return new ModelScope(engine, application);
  }

  /**
   * The deployment a client's model name addresses in this scope (its own name, or the one served
   * under it); throws not-found for a model that is unknown or belongs to another application.
   */
  public String resolve(String model) {
    return engine.nameOf(application, model);
  }

  public boolean includes(ModelStatus status) {
    return application == null || status.application().equals(application);
  }

  /** Whether the deployment named {@code deployment} is in this scope. */
  public boolean includes(String deployment) {
    return application == null || models().stream().anyMatch(m -> m.name().equals(deployment));
  }

  /** The models in scope, in configuration order. */
  public List<ModelStatus> models() {
    return engine.index().stream().filter(this::includes).toList();
  }
}
