package io.sluice.engine.model;

import io.sluice.api.ModelNotFoundException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The deployments a server knows, by model name. Fixed at construction; models load and unload inside it. */
public final class ModelRegistry {
  private final Map<String, Deployment> byName;
  private final List<Deployment> order;

  public ModelRegistry(Collection<Deployment> deployments) {
    Map<String, Deployment> map = new LinkedHashMap<>();
    for (Deployment deployment : deployments) {
      if (map.putIfAbsent(deployment.name(), deployment) != null) {
        throw new IllegalArgumentException("two deployments are named '" + deployment.name() + "'");
      }
    }
    this.byName = Map.copyOf(map);
    this.order = List.copyOf(map.values());
  }

  public Optional<Deployment> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /**
   * The deployment serving {@code name} at {@code version} (any version when null or empty).
   *
   * @throws ModelNotFoundException when there is no such model or version
   */
  public Deployment resolve(String name, String version) {
    Deployment deployment = byName.get(name);
    if (deployment == null) {
      throw new ModelNotFoundException("model '" + name + "' is not known to this server");
    }
    if (version != null && !version.isEmpty() && !deployment.hasVersion(version)) {
      throw new ModelNotFoundException(
          "model '" + name + "' has no version '" + version + "' (serving versions " + deployment.versions() + ")");
    }
    return deployment;
  }

  /** Every deployment, in configuration order. */
  public List<Deployment> all() {
    return order;
  }

  public List<ModelStatus> index() {
    List<ModelStatus> statuses = new ArrayList<>();
    for (Deployment deployment : order) {
      statuses.add(deployment.status());
    }
    return statuses;
  }
}
