package io.sluice.server.config;

import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.batching.BatchingSpec;
import io.sluice.engine.model.ScalingSpec;
import io.sluice.engine.model.TrafficSpec;
import io.sluice.engine.placement.ResourceRequest;
import io.sluice.engine.replica.ReplicaHosting;
import io.sluice.engine.transform.TransformerSpec;
import io.sluice.spi.transform.TransformerFactories;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The sections of one deployment: hosting, traffic, resources, scaling, explainer and transformer.
 */
final class DeploymentSettings {
  private DeploymentSettings() {}

  /** The name clients use under the application's prefix, when given (else null). */
  static String servedName(String at, String servedName) throws ConfigException {
    return servedName == null ? null : ConfigValues.checkName(at, servedName);
  }

  static ReplicaHosting hosting(String at, String hosting) throws ConfigException {
    if (hosting == null || hosting.equals("in-process")) {
      return ReplicaHosting.IN_PROCESS;
    }
    if (hosting.equals("worker")) {
      return ReplicaHosting.WORKER_PROCESS;
    }
    if (hosting.equals("remote")) {
      return ReplicaHosting.REMOTE;
    }
    throw new ConfigException(
        at, "'" + hosting + "' is not a hosting; expected in-process, worker or remote");
  }

  static URI upstream(String at, String uri) throws ConfigException {
    if (uri == null || !(uri.startsWith("http://") || uri.startsWith("https://"))) {
      throw new ConfigException(
          at, "a remote deployment's storageUri is its upstream server, e.g. http://host:8000");
    }
    try {
      return new URI(uri);
    } catch (URISyntaxException e) {
      throw new ConfigException(at, "not a valid URI: " + uri);
    }
  }

  static TrafficSpec traffic(String at, SluiceConfig.Deployment deployment) throws ConfigException {
    Integer canary = deployment.canaryTrafficPercent();
    if (canary != null && (canary < 0 || canary > 100)) {
      throw new ConfigException(
          at + ".canaryTrafficPercent", "must lie between 0 and 100, got " + canary);
    }
    TrafficSpec.ShadowSpec shadow = null;
    if (deployment.shadow() != null) {
      double percent = deployment.shadow().percent() == null ? 100 : deployment.shadow().percent();
      if (percent < 0 || percent > 100) {
        throw new ConfigException(
            at + ".shadow.percent", "must lie between 0 and 100, got " + percent);
      }
      if (deployment.name() != null && deployment.name().equals(deployment.shadow().deployment())) {
        throw new ConfigException(
            at + ".shadow.deployment",
            "a deployment cannot shadow itself; omit it to mirror to the latest revision");
      }
      shadow = new TrafficSpec.ShadowSpec(deployment.shadow().deployment(), percent);
    }
    return new TrafficSpec(canary, shadow);
  }

  static List<TrafficSpec> checkShadows(
      List<TrafficSpec> traffic, Set<String> modelNames, List<String> paths)
      throws ConfigException {
    for (int i = 0; i < traffic.size(); i++) {
      TrafficSpec.ShadowSpec shadow = traffic.get(i).shadow();
      if (shadow != null
          && shadow.deployment() != null
          && !modelNames.contains(shadow.deployment())) {
        throw new ConfigException(
            paths.get(i) + ".shadow.deployment",
            "no deployment is named '" + shadow.deployment() + "'");
      }
    }
    return traffic;
  }

  static ResourceRequest resources(String at, SluiceConfig.Resources resources)
      throws ConfigException {
    if (resources == null) {
      return ResourceRequest.NONE;
    }
    double gpus = resources.gpus() == null ? 0 : resources.gpus();
    if (gpus < 0 || (gpus > 1 && gpus != Math.rint(gpus))) {
      throw new ConfigException(
          at + ".gpus",
          "must be a fraction of one device (0 < gpus <= 1) or a whole number, got " + gpus);
    }
    double cpus = resources.cpus() == null ? 0 : resources.cpus();
    if (cpus < 0) {
      throw new ConfigException(at + ".cpus", "must not be negative");
    }
    long memory =
        resources.memory() == null ? 0 : ConfigValues.parseSize(at + ".memory", resources.memory());
    long gpuMemory =
        resources.gpuMemory() == null
            ? 0
            : ConfigValues.parseSize(at + ".gpuMemory", resources.gpuMemory());
    if (gpuMemory > 0 && gpus == 0) {
      throw new ConfigException(at + ".gpuMemory", "needs gpus > 0");
    }
    return new ResourceRequest(cpus, memory, gpus, gpuMemory, resources.acceleratorType());
  }

  static ScalingSpec scaling(String at, SluiceConfig.Deployment deployment) throws ConfigException {
    AutoscalingSpec autoscaling = null;
    if (deployment.autoscaling() != null) {
      if (deployment.numReplicas() != null) {
        throw new ConfigException(
            at + ".numReplicas", "give either numReplicas or autoscaling, not both");
      }
      autoscaling = autoscaling(at + ".autoscaling", deployment.autoscaling());
    }
    if (deployment.keepAlive() != null) {
      autoscaling = keptAlive(at, deployment, autoscaling);
    }
    int numReplicas =
        deployment.numReplicas() == null
            ? 1
            : ConfigValues.positive(at + ".numReplicas", deployment.numReplicas());
    BatchingSpec batching = null;
    if (deployment.batching() != null) {
      int maxBatchSize =
          deployment.batching().maxBatchSize() == null
              ? 8
              : ConfigValues.positive(
                  at + ".batching.maxBatchSize", deployment.batching().maxBatchSize());
      Duration wait =
          deployment.batching().batchWaitTimeout() == null
              ? Duration.ofMillis(10)
              : ConfigValues.duration(
                  at + ".batching.batchWaitTimeout", deployment.batching().batchWaitTimeout());
      batching = new BatchingSpec(maxBatchSize, wait);
    }
    // A replica can only batch the requests it holds: with batching, room for a full batch by
    // default.
    int defaultOngoing =
        batching == null
            ? ScalingSpec.DEFAULT_MAX_ONGOING_REQUESTS
            : Math.max(ScalingSpec.DEFAULT_MAX_ONGOING_REQUESTS, batching.maxBatchSize());
    int maxOngoing =
        deployment.maxOngoingRequests() == null
            ? defaultOngoing
            : ConfigValues.positive(at + ".maxOngoingRequests", deployment.maxOngoingRequests());
    int maxQueued =
        deployment.maxQueuedRequests() == null
            ? ScalingSpec.DEFAULT_MAX_QUEUED_REQUESTS
            : ConfigValues.nonNegative(at + ".maxQueuedRequests", deployment.maxQueuedRequests());
    Duration maxQueueWait =
        deployment.maxQueueWait() == null
            ? ScalingSpec.DEFAULT_MAX_QUEUE_WAIT
            : ConfigValues.positiveDuration(at + ".maxQueueWait", deployment.maxQueueWait());
    Duration requestTimeout =
        deployment.requestTimeout() == null
            ? null
            : ConfigValues.positiveDuration(at + ".requestTimeout", deployment.requestTimeout());
    return new ScalingSpec(
        numReplicas, maxOngoing, maxQueued, maxQueueWait, requestTimeout, autoscaling, batching);
  }

  /**
   * {@code keepAlive} makes a deployment load on demand: no replica needs to stay (minReplicas 0),
   * and an idle one unloads after {@code keepAlive} (its scale-to-zero delay); negative: never for
   * being idle, only to make room.
   */
  private static AutoscalingSpec keptAlive(
      String at, SluiceConfig.Deployment deployment, AutoscalingSpec autoscaling)
      throws ConfigException {
    String text = deployment.keepAlive().trim();
    Duration keepAlive =
        text.startsWith("-") ? KEEP_FOREVER : ConfigValues.duration(at + ".keepAlive", text);
    if (autoscaling == null) {
      int max = deployment.numReplicas() == null ? 1 : deployment.numReplicas();
      return new AutoscalingSpec(
          0,
          max,
          0,
          AutoscalingSpec.DEFAULT_TARGET_ONGOING_REQUESTS,
          AutoscalingSpec.DEFAULT_UPSCALE_DELAY,
          AutoscalingSpec.DEFAULT_DOWNSCALE_DELAY,
          keepAlive,
          AutoscalingSpec.DEFAULT_LOOK_BACK_PERIOD,
          AutoscalingSpec.DEFAULT_SMOOTHING_FACTOR,
          AutoscalingSpec.DEFAULT_SMOOTHING_FACTOR);
    }
    if (autoscaling.minReplicas() > 0) {
      throw new ConfigException(
          at + ".keepAlive",
          "unloads idle replicas down to none, so it needs autoscaling.minReplicas: 0");
    }
    if (deployment.autoscaling().scaleToZeroDelay() != null) {
      throw new ConfigException(
          at + ".keepAlive", "give either keepAlive or autoscaling.scaleToZeroDelay, not both");
    }
    return new AutoscalingSpec(
        autoscaling.minReplicas(),
        autoscaling.maxReplicas(),
        autoscaling.initialReplicas(),
        autoscaling.targetOngoingRequests(),
        autoscaling.upscaleDelay(),
        autoscaling.downscaleDelay(),
        keepAlive,
        autoscaling.lookBackPeriod(),
        autoscaling.upscaleSmoothingFactor(),
        autoscaling.downscaleSmoothingFactor());
  }

  /** A keepAlive that never runs out: a century. */
  private static final Duration KEEP_FOREVER = Duration.ofDays(36_500);

  static io.sluice.engine.model.MultiplexSpec multiplex(
      String at, SluiceConfig.Deployment deployment, ReplicaHosting hosting)
      throws ConfigException {
    SluiceConfig.Multiplex multiplex = deployment.multiplex();
    if (multiplex == null) {
      return null;
    }
    if (deployment.batching() != null || deployment.transformer() != null) {
      throw new ConfigException(
          at,
          "a multiplexed deployment runs each request on its own model: no batching, no transformer");
    }
    if (multiplex.maxModelsPerReplica() == null) {
      throw new ConfigException(at + ".maxModelsPerReplica", "missing; e.g. 3");
    }
    if (hosting != ReplicaHosting.IN_PROCESS) {
      throw new ConfigException(
          at, "multiplexed models are loaded in the server's process (hosting: in-process)");
    }
    return new io.sluice.engine.model.MultiplexSpec(
        ConfigValues.positive(at + ".maxModelsPerReplica", multiplex.maxModelsPerReplica()));
  }

  static AutoscalingSpec autoscaling(String at, SluiceConfig.Autoscaling config)
      throws ConfigException {
    int min =
        config.minReplicas() == null
            ? AutoscalingSpec.DEFAULT_MIN_REPLICAS
            : ConfigValues.nonNegative(at + ".minReplicas", config.minReplicas());
    int max =
        config.maxReplicas() == null
            ? Math.max(min, AutoscalingSpec.DEFAULT_MAX_REPLICAS)
            : ConfigValues.positive(at + ".maxReplicas", config.maxReplicas());
    if (max < min) {
      throw new ConfigException(at + ".maxReplicas", "must be at least minReplicas (" + min + ")");
    }
    int initial =
        config.initialReplicas() == null
            ? min
            : ConfigValues.nonNegative(at + ".initialReplicas", config.initialReplicas());
    if (initial < min || initial > max) {
      throw new ConfigException(
          at + ".initialReplicas", "must lie between minReplicas and maxReplicas");
    }
    double target =
        config.targetOngoingRequests() == null
            ? AutoscalingSpec.DEFAULT_TARGET_ONGOING_REQUESTS
            : ConfigValues.positiveNumber(
                at + ".targetOngoingRequests", config.targetOngoingRequests());
    Duration up =
        config.upscaleDelay() == null
            ? AutoscalingSpec.DEFAULT_UPSCALE_DELAY
            : ConfigValues.duration(at + ".upscaleDelay", config.upscaleDelay());
    Duration down =
        config.downscaleDelay() == null
            ? AutoscalingSpec.DEFAULT_DOWNSCALE_DELAY
            : ConfigValues.duration(at + ".downscaleDelay", config.downscaleDelay());
    Duration toZero =
        config.scaleToZeroDelay() == null
            ? down
            : ConfigValues.duration(at + ".scaleToZeroDelay", config.scaleToZeroDelay());
    Duration lookBack =
        config.lookBackPeriod() == null
            ? AutoscalingSpec.DEFAULT_LOOK_BACK_PERIOD
            : ConfigValues.positiveDuration(at + ".lookBackPeriod", config.lookBackPeriod());
    double upSmoothing =
        config.upscaleSmoothingFactor() == null
            ? AutoscalingSpec.DEFAULT_SMOOTHING_FACTOR
            : ConfigValues.positiveNumber(
                at + ".upscaleSmoothingFactor", config.upscaleSmoothingFactor());
    double downSmoothing =
        config.downscaleSmoothingFactor() == null
            ? AutoscalingSpec.DEFAULT_SMOOTHING_FACTOR
            : ConfigValues.positiveNumber(
                at + ".downscaleSmoothingFactor", config.downscaleSmoothingFactor());
    return new AutoscalingSpec(
        min, max, initial, target, up, down, toZero, lookBack, upSmoothing, downSmoothing);
  }

  static io.sluice.engine.explain.ExplainSpec explainer(String at, SluiceConfig.Explainer explainer)
      throws ConfigException {
    if (explainer == null) {
      return null;
    }
    io.sluice.engine.explain.ExplainSpec defaults = io.sluice.engine.explain.ExplainSpec.DEFAULT;
    String method = explainer.method() == null ? defaults.method() : explainer.method();
    if (!method.equals("kernel_shap") && !method.equals("occlusion")) {
      throw new ConfigException(
          at + ".method", "must be kernel_shap or occlusion, got '" + method + "'");
    }
    return new io.sluice.engine.explain.ExplainSpec(
        method,
        null,
        null,
        0,
        explainer.baseline() == null ? defaults.baseline() : explainer.baseline(),
        explainer.samples() == null
            ? defaults.samples()
            : ConfigValues.positive(at + ".samples", explainer.samples()),
        explainer.window() == null
            ? defaults.window()
            : ConfigValues.positive(at + ".window", explainer.window()),
        explainer.batchSize() == null
            ? defaults.batchSize()
            : ConfigValues.positive(at + ".batchSize", explainer.batchSize()),
        explainer.maxModelCalls() == null
            ? defaults.maxModelCalls()
            : ConfigValues.positive(at + ".maxModelCalls", explainer.maxModelCalls()));
  }

  static TransformerSpec transformer(
      String at, SluiceConfig.Transformer transformer, Path baseDirectory) throws ConfigException {
    if (transformer == null) {
      return null;
    }
    if (transformer.steps() == null || transformer.steps().isEmpty()) {
      throw new ConfigException(at + ".steps", "a transformer needs at least one step");
    }
    Path plugins =
        baseDirectory
            .resolve(transformer.plugins() == null ? "plugins" : transformer.plugins())
            .normalize();
    TransformerFactories factories = TransformerFactories.discover(plugins);
    List<TransformerSpec.Step> steps = new ArrayList<>();
    for (int i = 0; i < transformer.steps().size(); i++) {
      SluiceConfig.TransformerStep step = transformer.steps().get(i);
      String name = step == null ? null : step.step();
      if (name == null || factories.find(name).isEmpty()) {
        throw new ConfigException(
            at + ".steps[" + i + "].step",
            (name == null ? "missing" : "unknown step '" + name + "'")
                + "; available: "
                + factories.names());
      }
      steps.add(new TransformerSpec.Step(name, step.settings()));
    }
    return new TransformerSpec(steps, plugins);
  }
}
