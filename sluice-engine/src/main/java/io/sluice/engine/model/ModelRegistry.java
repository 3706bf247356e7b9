package io.sluice.engine.model;

import io.sluice.api.ModelNotFoundException;
import io.sluice.engine.client.ModelStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The deployments a server knows, by model name, in configuration order. Applying a new
 * configuration adds and removes deployments while requests flow; lookups never block.
 */
public final class ModelRegistry {
  private final Map<String, Deployment> byName = new ConcurrentHashMap<>();
  private final List<Deployment> order = new CopyOnWriteArrayList<>();

  public ModelRegistry(Collection<Deployment> deployments) {
    for (Deployment deployment : deployments) {
      add(deployment);
    }
  }

  /** Adds a deployment; its name must be new. */
  public synchronized void add(Deployment deployment) {
    if (byName.putIfAbsent(deployment.name(), deployment) != null) {
      throw new IllegalArgumentException("two deployments are named '" + deployment.name() + "'");
    }
    order.add(deployment);
  }

  /** Forgets a deployment (after it has been unloaded). */
  public synchronized void remove(Deployment deployment) {
    byName.remove(deployment.name(), deployment);
    order.remove(deployment);
  }

  public Optional<Deployment> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /**
   * The name of the deployment that {@code name} addresses among those of {@code application} (all
   * when null): the deployment of that name, else the one whose served name it is.
   *
   * @throws ModelNotFoundException when none is, or when several applications serve that name
   */
  public String nameOf(String application, String name) {
    Deployment named = byName.get(name);
    if (named != null && (application == null || named.spec().application().equals(application))) {
      return name;
    }
    List<String> serving = new ArrayList<>();
    for (Deployment deployment : order) {
      if (name.equals(deployment.spec().servedName())
          && (application == null || deployment.spec().application().equals(application))) {
        serving.add(deployment.name());
      }
    }
    if (serving.size() == 1) {
      return serving.getFirst();
    }
    if (serving.isEmpty()) {
      if (adapterOwner(application, name) != null) {
        return name; // a LoRA adapter: the request keeps its name, which picks the adapter
      }
      throw new ModelNotFoundException(
          named == null
              ? "model '" + name + "' is not known to this server"
              : "model '" + name + "' is not part of application '" + application + "'");
    }
    throw new ModelNotFoundException(
        "model '"
            + name
            + "' is served by several applications ("
            + String.join(", ", serving)
            + "): address one under its route prefix");
  }

  /**
   * The deployment serving {@code name} at {@code version} (any version when null or empty); a name
   * no deployment has addresses the one deployment that serves it under that name.
   *
   * @throws ModelNotFoundException when there is no such model or version
   */
  public Deployment resolve(String name, String version) {
    Deployment deployment = byName.get(name);
    if (deployment == null) {
      String named = nameOf(null, name);
      deployment = byName.get(named);
      if (deployment == null) {
        deployment = adapterOwner(null, named);
      }
    }
    if (version != null && !version.isEmpty() && !deployment.hasVersion(version)) {
      throw new ModelNotFoundException(
          "model '"
              + name
              + "' has no version '"
              + version
              + "' (serving versions "
              + deployment.versions()
              + ")");
    }
    return deployment;
  }

  /** Every deployment, in configuration order. */
  public List<Deployment> all() {
    return List.copyOf(order);
  }

  /**
   * Every deployment's status, each followed by its LoRA adapters' (served names of their own, in
   * the deployment's state).
   */
  public List<ModelStatus> index() {
    List<ModelStatus> statuses = new ArrayList<>();
    for (Deployment deployment : order) {
      ModelStatus status = deployment.status();
      statuses.add(status);
      for (String adapter : deployment.spec().adapters()) {
        statuses.add(
            new ModelStatus(
                status.application(), adapter, status.version(), status.state(), status.reason()));
      }
    }
    return statuses;
  }

  /** The deployment of {@code application} (any when null) serving LoRA adapter {@code name}. */
  private Deployment adapterOwner(String application, String name) {
    for (Deployment deployment : order) {
      if ((application == null || deployment.spec().application().equals(application))
          && deployment.spec().adapters().contains(name)) {
        return deployment;
      }
    }
    return null;
  }
}
