package io.sluice.server.config;

import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.model.TrafficSpec;
import io.sluice.engine.placement.Accelerator;
import java.time.Duration;
import java.util.List;

/**
 * The validated configuration: server settings with defaults applied, the declared accelerators
 * (null when none are declared: discover them), and every deployment resolved to a local model
 * location. {@code deploymentPaths} gives each deployment's YAML path, for error messages.
 */
public record ServerSettings(
    String host,
    int port,
    Integer grpcPort,
    long maxRequestBody,
    int eventLoops,
    int modelThreads,
    Duration autoscalerInterval,
    String adminToken,
    boolean adminLoopbackOnly,
    FrontDoorSettings frontDoor,
    ObservabilitySettings observability,
    List<java.nio.file.Path> modelRoots,
    List<Accelerator> accelerators,
    List<ApplicationSettings> applications,
    List<DeploymentSpec> deployments,
    List<TrafficSpec> traffic,
    List<String> deploymentPaths,
    List<io.sluice.engine.graph.GraphSpec> graphs,
    List<io.sluice.pipelines.PipelineSpec> pipelines,
    MemorySettings memory) {

  public ServerSettings {
    accelerators = accelerators == null ? null : List.copyOf(accelerators);
    applications = List.copyOf(applications);
    deployments = List.copyOf(deployments);
    traffic = List.copyOf(traffic);
    deploymentPaths = List.copyOf(deploymentPaths);
    modelRoots = List.copyOf(modelRoots);
    graphs = graphs == null ? List.of() : List.copyOf(graphs);
    pipelines = pipelines == null ? List.of() : List.copyOf(pipelines);
  }

  /**
   * An application's name, normalised route prefix ({@code /mnist}), the API keys accepted under it
   * besides the server's, and its rate limit.
   */
  public record ApplicationSettings(
      String name,
      String routePrefix,
      List<String> apiKeys,
      FrontDoorSettings.RateLimit rateLimit) {
    public ApplicationSettings {
      apiKeys = List.copyOf(apiKeys);
    }

    public ApplicationSettings(String name, String routePrefix) {
      this(name, routePrefix, List.of(), FrontDoorSettings.RateLimit.UNLIMITED);
    }
  }

  /** The same settings with the deployment of {@code spec}'s name replaced by {@code spec}. */
  public ServerSettings withDeployment(DeploymentSpec spec) {
    return with(
        host,
        port,
        deployments.stream().map(d -> d.name().equals(spec.name()) ? spec : d).toList());
  }

  public ServerSettings withListen(String newHost, Integer newPort) {
    return with(newHost == null ? host : newHost, newPort == null ? port : newPort, deployments);
  }

  private ServerSettings with(String newHost, int newPort, List<DeploymentSpec> newDeployments) {
    return new ServerSettings(
        newHost,
        newPort,
        grpcPort,
        maxRequestBody,
        eventLoops,
        modelThreads,
        autoscalerInterval,
        adminToken,
        adminLoopbackOnly,
        frontDoor,
        observability,
        modelRoots,
        accelerators,
        applications,
        newDeployments,
        traffic,
        deploymentPaths,
        graphs,
        pipelines,
        memory);
  }
}
