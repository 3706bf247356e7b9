package io.sluice.engine.model;

import io.sluice.engine.placement.ResourceRequest;
import io.sluice.engine.replica.ReplicaHosting;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What the configuration says about one deployment: one model on one runtime.
 *
 * @param application the application (route prefix owner) it belongs to
 * @param name the model name used in protocol paths
 * @param runtime the runtime name, e.g. {@code onnx}
 * @param location the model's local file or directory
 * @param version the version label
 * @param settings runtime-specific settings
 * @param scaling replicas, routing limits and autoscaling
 * @param resources what each replica needs (accelerator share and memory)
 * @param hosting where replicas run: in this process, in supervised worker processes, or upstream
 * @param endpoint the upstream server of a remote deployment, else null
 * @param explainer how {@code :explain} attributes the model's answers
 * @param transformer pre- and post-processing steps around the model, run where the model runs
 * @param servedName the name clients use for it under its application's prefix (vLLM's {@code
 *     --served-model-name}), when that differs from {@code name}; else null
 * @param priority when memory is short, replicas of lower priority are evicted first (default 0)
 * @param multiplex many models of one runtime behind this deployment, picked per request; or null
 */
public record DeploymentSpec(
    String application,
    String name,
    String runtime,
    Path location,
    String version,
    Map<String, String> settings,
    ScalingSpec scaling,
    ResourceRequest resources,
    ReplicaHosting hosting,
    URI endpoint,
    io.sluice.engine.explain.ExplainSpec explainer,
    io.sluice.engine.transform.TransformerSpec transformer,
    String servedName,
    int priority,
    MultiplexSpec multiplex) {
  public DeploymentSpec(
      String application,
      String name,
      String runtime,
      Path location,
      String version,
      Map<String, String> settings,
      ScalingSpec scaling,
      ResourceRequest resources,
      ReplicaHosting hosting,
      URI endpoint,
      io.sluice.engine.explain.ExplainSpec explainer,
      io.sluice.engine.transform.TransformerSpec transformer,
      String servedName) {
    this(
        application,
        name,
        runtime,
        location,
        version,
        settings,
        scaling,
        resources,
        hosting,
        endpoint,
        explainer,
        transformer,
        servedName,
        0,
        null);
  }

  public DeploymentSpec(
      String application,
      String name,
      String runtime,
      Path location,
      String version,
      Map<String, String> settings) {
    this(
        application,
        name,
        runtime,
        location,
        version,
        settings,
        ScalingSpec.DEFAULT,
        ResourceRequest.NONE,
        ReplicaHosting.IN_PROCESS,
        null,
        null,
        null,
        null);
  }

  public DeploymentSpec {
    Objects.requireNonNull(application, "application");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(location, "location");
    version = version == null || version.isBlank() ? "1" : version;
    settings = settings == null ? Map.of() : Map.copyOf(settings);
    scaling = scaling == null ? ScalingSpec.DEFAULT : scaling;
    resources = resources == null ? ResourceRequest.NONE : resources;
    hosting = hosting == null ? ReplicaHosting.IN_PROCESS : hosting;
    explainer = explainer == null ? io.sluice.engine.explain.ExplainSpec.DEFAULT : explainer;
    transformer =
        transformer == null ? io.sluice.engine.transform.TransformerSpec.NONE : transformer;
    servedName = servedName == null || servedName.equals(name) ? null : servedName;
  }

  /**
   * The LoRA adapters served with it ({@link io.sluice.spi.ModelSource#ADAPTER_PREFIX} settings),
   * each a model name of its own, in name order.
   */
  public java.util.List<String> adapters() {
    return settings.keySet().stream()
        .filter(key -> key.startsWith(io.sluice.spi.ModelSource.ADAPTER_PREFIX))
        .map(key -> key.substring(io.sluice.spi.ModelSource.ADAPTER_PREFIX.length()))
        .sorted()
        .toList();
  }

  /** The name clients use for it: its served name, else its name. */
  public String clientName() {
    return servedName == null ? name : servedName;
  }

  /** The same deployment with other settings (a LoRA adapter added or removed). */
  public DeploymentSpec withSettings(Map<String, String> newSettings) {
    return new DeploymentSpec(
        application,
        name,
        runtime,
        location,
        version,
        newSettings,
        scaling,
        resources,
        hosting,
        endpoint,
        explainer,
        transformer,
        servedName,
        priority,
        multiplex);
  }

  /** The same deployment served from another upstream server (one member of a group endpoint). */
  public DeploymentSpec withEndpoint(URI server) {
    return new DeploymentSpec(
        application,
        name,
        runtime,
        location,
        version,
        settings,
        scaling,
        resources,
        hosting,
        server,
        explainer,
        transformer,
        servedName,
        priority,
        multiplex);
  }
}
