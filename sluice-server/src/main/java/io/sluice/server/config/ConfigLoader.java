package io.sluice.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.batching.BatchingSpec;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.graph.Condition;
import io.sluice.engine.graph.GraphSpec;
import io.sluice.engine.graph.NodeSpec;
import io.sluice.engine.graph.RouterType;
import io.sluice.engine.graph.StepSpec;
import io.sluice.engine.transform.TransformerSpec;
import io.sluice.pipelines.PipelineSpec;
import io.sluice.spi.transform.TransformerFactories;
import io.sluice.engine.model.ScalingSpec;
import io.sluice.engine.model.TrafficSpec;
import io.sluice.engine.placement.Accelerator;
import io.sluice.engine.placement.ResourceRequest;
import io.sluice.engine.replica.ReplicaHosting;
import io.sluice.spi.Runtimes;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import io.sluice.storage.StorageException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads and validates the YAML configuration; every problem names the YAML path where it is. */
public final class ConfigLoader {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);

  private final Runtimes runtimes;
  private final ModelStore store;
  /** Model roots imposed on every configuration this loader reads, whatever it declares; null: its own. */
  private final List<Path> imposedRoots;

  /** A loader fetching {@code mvn://} models quietly (tests, reloads). */
  public ConfigLoader(Runtimes runtimes) {
    this(runtimes, ModelStore.standard(Progress.SILENT));
  }

  public ConfigLoader(Runtimes runtimes, ModelStore store) {
    this(runtimes, store, null);
  }

  private ConfigLoader(Runtimes runtimes, ModelStore store, List<Path> imposedRoots) {
    this.runtimes = runtimes;
    this.store = store;
    this.imposedRoots = imposedRoots;
  }

  /**
   * A loader for configurations from clients (the admin API): model files must lie under the running
   * server's {@code modelRoots}, whatever the submitted configuration says.
   */
  public ConfigLoader imposingRoots(List<Path> roots) {
    return new ConfigLoader(runtimes, store, roots == null ? List.of() : List.copyOf(roots));
  }

  /** The model roots of a validated configuration's server section (empty: anywhere). */
  public List<Path> modelRoots(SluiceConfig config, Path baseDirectory) throws ConfigException {
    List<Path> roots = new ArrayList<>();
    List<String> declared = config.server().modelRoots();
    for (int i = 0; declared != null && i < declared.size(); i++) {
      Path root = baseDirectory.resolve(declared.get(i)).normalize();
      try {
        roots.add(root.toRealPath());
      } catch (IOException e) {
        throw new ConfigException("server.modelRoots[" + i + "]", "no such directory: " + root);
      }
    }
    return roots;
  }

  public ServerSettings load(Path file) throws ConfigException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException("", "configuration file " + file + " does not exist");
    }
    try {
      return validate(parse(Files.readString(file)), file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new ConfigException("", "cannot read " + file + ": " + e.getMessage());
    }
  }

  public SluiceConfig parse(String yaml) throws ConfigException {
    if (yaml == null || yaml.isBlank()) {
      throw new ConfigException("", "the configuration is empty");
    }
    ObjectMapper mapper = new ObjectMapper(new YAMLFactory())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    try {
      SluiceConfig config = mapper.readValue(yaml, SluiceConfig.class);
      if (config == null) {
        throw new ConfigException("", "the configuration is empty");
      }
      return config;
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(path(e), "unknown field; expected one of " + new java.util.TreeSet<>(e.getKnownPropertyIds()));
    } catch (JsonMappingException e) {
      throw new ConfigException(path(e), e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new ConfigException("", "not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
    }
  }

  private static String path(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference reference : e.getPath()) {
      if (reference.getIndex() >= 0) {
        path.append('[').append(reference.getIndex()).append(']');
      } else if (reference.getFieldName() != null) {
        path.append(path.isEmpty() ? "" : ".").append(reference.getFieldName());
      }
    }
    return path.toString();
  }

  /** Applies defaults and checks everything that can be checked before loading models. */
  public ServerSettings validate(SluiceConfig config, Path baseDirectory) throws ConfigException {
    SluiceConfig.Server server = config.server();
    String host = server.host() == null ? "127.0.0.1" : server.host();
    int port = server.port() == null ? 8000 : checkPort("server.port", server.port());
    Integer grpcPort = server.grpcPort() == null ? null : checkPort("server.grpcPort", server.grpcPort());
    long maxBody = server.maxRequestBody() == null ? 64L << 20 : parseSize("server.maxRequestBody", server.maxRequestBody());
    int cpus = Runtime.getRuntime().availableProcessors();
    int eventLoops = server.eventLoops() == null ? cpus : positive("server.eventLoops", server.eventLoops());
    int modelThreads = server.modelThreads() == null ? 2 * cpus : positive("server.modelThreads", server.modelThreads());
    Duration autoscalerInterval = server.autoscalerInterval() == null ? Duration.ofSeconds(1)
        : positiveDuration("server.autoscalerInterval", server.autoscalerInterval());

    List<Path> roots = imposedRoots != null ? imposedRoots : modelRoots(config, baseDirectory);
    List<ServerSettings.ApplicationSettings> applications = new ArrayList<>();
    List<DeploymentSpec> deployments = new ArrayList<>();
    List<TrafficSpec> traffic = new ArrayList<>();
    List<String> deploymentPaths = new ArrayList<>();
    Set<String> applicationNames = new HashSet<>();
    Set<String> prefixes = new HashSet<>();
    Set<String> modelNames = new HashSet<>();
    for (int a = 0; a < config.applications().size(); a++) {
      SluiceConfig.Application application = config.applications().get(a);
      String at = "applications[" + a + "]";
      String name = checkName(at + ".name", application.name());
      if (!applicationNames.add(name)) {
        throw new ConfigException(at + ".name", "another application is already named '" + name + "'");
      }
      String prefix = normalisePrefix(at + ".routePrefix",
          application.routePrefix() == null ? "/" + name : application.routePrefix());
      if (!prefixes.add(prefix)) {
        throw new ConfigException(at + ".routePrefix", "another application already uses " + prefix);
      }
      applications.add(new ServerSettings.ApplicationSettings(name, prefix,
          FrontDoorSettingsLoader.apiKeys(at + ".apiKeys", application.apiKeys()),
          FrontDoorSettingsLoader.rateLimit(at + ".rateLimit", application.rateLimit())));
      if (application.deployments().isEmpty()) {
        throw new ConfigException(at + ".deployments", "an application needs at least one deployment");
      }
      for (int d = 0; d < application.deployments().size(); d++) {
        SluiceConfig.Deployment deployment = application.deployments().get(d);
        String dat = at + ".deployments[" + d + "]";
        String model = checkName(dat + ".name", deployment.name());
        if (!modelNames.add(model)) {
          throw new ConfigException(dat + ".name", "another deployment is already named '" + model + "'");
        }
        ReplicaHosting hosting = hosting(dat + ".hosting", deployment.hosting());
        String runtime;
        Path location;
        URI endpoint = null;
        if (hosting == ReplicaHosting.REMOTE) {
          endpoint = upstream(dat + ".storageUri", deployment.storageUri());
          runtime = deployment.runtime() == null ? "v2-remote" : deployment.runtime();
          location = baseDirectory;
        } else {
          if (deployment.runtime() == null) {
            throw new ConfigException(dat + ".runtime", "missing; available runtimes: " + runtimes.names());
          }
          if (runtimes.find(deployment.runtime()).isEmpty()) {
            throw new ConfigException(dat + ".runtime",
                "unknown runtime '" + deployment.runtime() + "'; available runtimes: " + runtimes.names());
          }
          runtime = deployment.runtime();
          location = resolveStorage(dat + ".storageUri", deployment.storageUri(), baseDirectory, roots);
        }
        deployments.add(new DeploymentSpec(name, model, runtime, location, deployment.version(),
            deployment.settings(), scaling(dat, deployment), resources(dat + ".resources", deployment.resources()),
            hosting, endpoint, explainer(dat + ".explainer", deployment.explainer()),
            transformer(dat + ".transformer", deployment.transformer(), baseDirectory)));
        traffic.add(traffic(dat, deployment));
        deploymentPaths.add(dat);
      }
    }
    List<GraphSpec> graphs = graphs(config.graphs(), prefixes, modelNames);
    List<PipelineSpec> pipelines = PipelineSettings.pipelines(config.pipelines(), prefixes, modelNames, baseDirectory);
    if (server.adminToken() != null && server.adminToken().length() < 16) {
      throw new ConfigException("server.adminToken", "must be at least 16 characters");
    }
    boolean adminLoopbackOnly = server.adminLoopbackOnly() == null || server.adminLoopbackOnly();
    return new ServerSettings(host, port, grpcPort, maxBody, eventLoops, modelThreads, autoscalerInterval,
        server.adminToken(), adminLoopbackOnly, FrontDoorSettingsLoader.load(server, baseDirectory),
        observability(server), roots,
        accelerators(config.accelerators()), applications, deployments,
        checkShadows(traffic, modelNames, deploymentPaths), deploymentPaths, graphs, pipelines);
  }

  private static ObservabilitySettings observability(SluiceConfig.Server server) throws ConfigException {
    ObservabilitySettings.Tracing tracing = null;
    SluiceConfig.Tracing configured = server.tracing();
    if (configured != null) {
      String endpoint = configured.endpoint() == null ? "http://127.0.0.1:4318" : configured.endpoint();
      if (!endpoint.matches("https?://[^/\\s]+(/.*)?")) {
        throw new ConfigException("server.tracing.endpoint", "'" + endpoint + "' is not an http(s) URL such as http://127.0.0.1:4318");
      }
      double ratio = configured.sampleRatio() == null ? 1.0 : configured.sampleRatio();
      if (!(ratio >= 0 && ratio <= 1)) {
        throw new ConfigException("server.tracing.sampleRatio", "must be between 0 and 1, got " + ratio);
      }
      tracing = new ObservabilitySettings.Tracing(endpoint.replaceAll("/+$", ""), ratio,
          configured.serviceName() == null ? "sluice" : configured.serviceName());
    }
    return new ObservabilitySettings(server.dashboard() == null || server.dashboard(),
        Boolean.TRUE.equals(server.accessLog()), tracing);
  }

  private static ReplicaHosting hosting(String at, String hosting) throws ConfigException {
    if (hosting == null || hosting.equals("in-process")) {
      return ReplicaHosting.IN_PROCESS;
    }
    if (hosting.equals("worker")) {
      return ReplicaHosting.WORKER_PROCESS;
    }
    if (hosting.equals("remote")) {
      return ReplicaHosting.REMOTE;
    }
    throw new ConfigException(at, "'" + hosting + "' is not a hosting; expected in-process, worker or remote");
  }

  private static URI upstream(String at, String uri) throws ConfigException {
    if (uri == null || !(uri.startsWith("http://") || uri.startsWith("https://"))) {
      throw new ConfigException(at, "a remote deployment's storageUri is its upstream server, e.g. http://host:8000");
    }
    try {
      return new URI(uri);
    } catch (URISyntaxException e) {
      throw new ConfigException(at, "not a valid URI: " + uri);
    }
  }

  private static TrafficSpec traffic(String at, SluiceConfig.Deployment deployment) throws ConfigException {
    Integer canary = deployment.canaryTrafficPercent();
    if (canary != null && (canary < 0 || canary > 100)) {
      throw new ConfigException(at + ".canaryTrafficPercent", "must lie between 0 and 100, got " + canary);
    }
    TrafficSpec.ShadowSpec shadow = null;
    if (deployment.shadow() != null) {
      double percent = deployment.shadow().percent() == null ? 100 : deployment.shadow().percent();
      if (percent < 0 || percent > 100) {
        throw new ConfigException(at + ".shadow.percent", "must lie between 0 and 100, got " + percent);
      }
      if (deployment.name() != null && deployment.name().equals(deployment.shadow().deployment())) {
        throw new ConfigException(at + ".shadow.deployment", "a deployment cannot shadow itself; omit it to mirror to the latest revision");
      }
      shadow = new TrafficSpec.ShadowSpec(deployment.shadow().deployment(), percent);
    }
    return new TrafficSpec(canary, shadow);
  }

  private static List<TrafficSpec> checkShadows(List<TrafficSpec> traffic, Set<String> modelNames, List<String> paths)
      throws ConfigException {
    for (int i = 0; i < traffic.size(); i++) {
      TrafficSpec.ShadowSpec shadow = traffic.get(i).shadow();
      if (shadow != null && shadow.deployment() != null && !modelNames.contains(shadow.deployment())) {
        throw new ConfigException(paths.get(i) + ".shadow.deployment", "no deployment is named '" + shadow.deployment() + "'");
      }
    }
    return traffic;
  }

  private static List<Accelerator> accelerators(List<SluiceConfig.AcceleratorConfig> declared) throws ConfigException {
    if (declared == null) {
      return null;
    }
    List<Accelerator> accelerators = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < declared.size(); i++) {
      SluiceConfig.AcceleratorConfig device = declared.get(i);
      String at = "accelerators[" + i + "]";
      String id = checkName(at + ".id", device.id());
      if (!ids.add(id)) {
        throw new ConfigException(at + ".id", "another accelerator is already named '" + id + "'");
      }
      if (device.vendor() == null) {
        throw new ConfigException(at + ".vendor", "missing; expected nvidia, amd or intel");
      }
      if (device.memory() == null) {
        throw new ConfigException(at + ".memory", "missing; give the device memory, e.g. 8Gi");
      }
      int index = device.index() == null ? i : nonNegative(at + ".index", device.index());
      try {
        accelerators.add(new Accelerator(id, device.vendor(), index, device.type(), parseSize(at + ".memory", device.memory())));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + ".vendor", e.getMessage());
      }
    }
    return accelerators;
  }

  private static ResourceRequest resources(String at, SluiceConfig.Resources resources) throws ConfigException {
    if (resources == null) {
      return ResourceRequest.NONE;
    }
    double gpus = resources.gpus() == null ? 0 : resources.gpus();
    if (gpus < 0 || (gpus > 1 && gpus != Math.rint(gpus))) {
      throw new ConfigException(at + ".gpus", "must be a fraction of one device (0 < gpus <= 1) or a whole number, got " + gpus);
    }
    double cpus = resources.cpus() == null ? 0 : resources.cpus();
    if (cpus < 0) {
      throw new ConfigException(at + ".cpus", "must not be negative");
    }
    long memory = resources.memory() == null ? 0 : parseSize(at + ".memory", resources.memory());
    long gpuMemory = resources.gpuMemory() == null ? 0 : parseSize(at + ".gpuMemory", resources.gpuMemory());
    if (gpuMemory > 0 && gpus == 0) {
      throw new ConfigException(at + ".gpuMemory", "needs gpus > 0");
    }
    return new ResourceRequest(cpus, memory, gpus, gpuMemory, resources.acceleratorType());
  }

  private static ScalingSpec scaling(String at, SluiceConfig.Deployment deployment) throws ConfigException {
    AutoscalingSpec autoscaling = null;
    if (deployment.autoscaling() != null) {
      if (deployment.numReplicas() != null) {
        throw new ConfigException(at + ".numReplicas", "give either numReplicas or autoscaling, not both");
      }
      autoscaling = autoscaling(at + ".autoscaling", deployment.autoscaling());
    }
    int numReplicas = deployment.numReplicas() == null ? 1 : positive(at + ".numReplicas", deployment.numReplicas());
    BatchingSpec batching = null;
    if (deployment.batching() != null) {
      int maxBatchSize = deployment.batching().maxBatchSize() == null ? 8
          : positive(at + ".batching.maxBatchSize", deployment.batching().maxBatchSize());
      Duration wait = deployment.batching().batchWaitTimeout() == null ? Duration.ofMillis(10)
          : duration(at + ".batching.batchWaitTimeout", deployment.batching().batchWaitTimeout());
      batching = new BatchingSpec(maxBatchSize, wait);
    }
    // A replica can only batch the requests it holds: with batching, room for a full batch by default.
    int defaultOngoing = batching == null ? ScalingSpec.DEFAULT_MAX_ONGOING_REQUESTS
        : Math.max(ScalingSpec.DEFAULT_MAX_ONGOING_REQUESTS, batching.maxBatchSize());
    int maxOngoing = deployment.maxOngoingRequests() == null ? defaultOngoing
        : positive(at + ".maxOngoingRequests", deployment.maxOngoingRequests());
    int maxQueued = deployment.maxQueuedRequests() == null ? ScalingSpec.DEFAULT_MAX_QUEUED_REQUESTS
        : nonNegative(at + ".maxQueuedRequests", deployment.maxQueuedRequests());
    Duration maxQueueWait = deployment.maxQueueWait() == null ? ScalingSpec.DEFAULT_MAX_QUEUE_WAIT
        : positiveDuration(at + ".maxQueueWait", deployment.maxQueueWait());
    Duration requestTimeout = deployment.requestTimeout() == null ? null
        : positiveDuration(at + ".requestTimeout", deployment.requestTimeout());
    return new ScalingSpec(numReplicas, maxOngoing, maxQueued, maxQueueWait, requestTimeout, autoscaling, batching);
  }

  private static AutoscalingSpec autoscaling(String at, SluiceConfig.Autoscaling config) throws ConfigException {
    int min = config.minReplicas() == null ? AutoscalingSpec.DEFAULT_MIN_REPLICAS
        : nonNegative(at + ".minReplicas", config.minReplicas());
    int max = config.maxReplicas() == null ? Math.max(min, AutoscalingSpec.DEFAULT_MAX_REPLICAS)
        : positive(at + ".maxReplicas", config.maxReplicas());
    if (max < min) {
      throw new ConfigException(at + ".maxReplicas", "must be at least minReplicas (" + min + ")");
    }
    int initial = config.initialReplicas() == null ? min : nonNegative(at + ".initialReplicas", config.initialReplicas());
    if (initial < min || initial > max) {
      throw new ConfigException(at + ".initialReplicas", "must lie between minReplicas and maxReplicas");
    }
    double target = config.targetOngoingRequests() == null ? AutoscalingSpec.DEFAULT_TARGET_ONGOING_REQUESTS
        : positiveNumber(at + ".targetOngoingRequests", config.targetOngoingRequests());
    Duration up = config.upscaleDelay() == null ? AutoscalingSpec.DEFAULT_UPSCALE_DELAY
        : duration(at + ".upscaleDelay", config.upscaleDelay());
    Duration down = config.downscaleDelay() == null ? AutoscalingSpec.DEFAULT_DOWNSCALE_DELAY
        : duration(at + ".downscaleDelay", config.downscaleDelay());
    Duration toZero = config.scaleToZeroDelay() == null ? down : duration(at + ".scaleToZeroDelay", config.scaleToZeroDelay());
    Duration lookBack = config.lookBackPeriod() == null ? AutoscalingSpec.DEFAULT_LOOK_BACK_PERIOD
        : positiveDuration(at + ".lookBackPeriod", config.lookBackPeriod());
    double upSmoothing = config.upscaleSmoothingFactor() == null ? AutoscalingSpec.DEFAULT_SMOOTHING_FACTOR
        : positiveNumber(at + ".upscaleSmoothingFactor", config.upscaleSmoothingFactor());
    double downSmoothing = config.downscaleSmoothingFactor() == null ? AutoscalingSpec.DEFAULT_SMOOTHING_FACTOR
        : positiveNumber(at + ".downscaleSmoothingFactor", config.downscaleSmoothingFactor());
    return new AutoscalingSpec(min, max, initial, target, up, down, toZero, lookBack, upSmoothing, downSmoothing);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

  static Duration duration(String at, String text) throws ConfigException {
    Matcher matcher = DURATION.matcher(text.trim());
    if (!matcher.matches()) {
      throw new ConfigException(at, "'" + text + "' is not a duration such as 500ms, 30s, 10m or 1h");
    }
    double value = Double.parseDouble(matcher.group(1));
    String unit = matcher.group(2) == null ? "s" : matcher.group(2);
    double millis = switch (unit) {
      case "ms" -> value;
      case "m" -> value * 60_000;
      case "h" -> value * 3_600_000;
      default -> value * 1000;
    };
    return Duration.ofNanos(Math.round(millis * 1_000_000));
  }

  static Duration positiveDuration(String at, String text) throws ConfigException {
    Duration duration = duration(at, text);
    if (duration.isZero()) {
      throw new ConfigException(at, "must be longer than zero");
    }
    return duration;
  }

  private static int nonNegative(String at, int value) throws ConfigException {
    if (value < 0) {
      throw new ConfigException(at, "must not be negative, got " + value);
    }
    return value;
  }

  private static double positiveNumber(String at, double value) throws ConfigException {
    if (!(value > 0)) {
      throw new ConfigException(at, "must be greater than zero, got " + value);
    }
    return value;
  }

  private Path resolveStorage(String at, String uri, Path baseDirectory, List<Path> roots) throws ConfigException {
    if (uri == null || uri.isBlank()) {
      throw new ConfigException(at, "missing; give an mvn://, https://, hf://, s3:// or file:// URI, or a path relative to the configuration file");
    }
    Path path;
    if (ModelStore.isRemote(uri)) {
      try {
        path = store.fetch(uri);
      } catch (StorageException e) {
        throw new ConfigException(at, e.getMessage());
      }
    } else if (uri.startsWith("file:")) {
      try {
        path = Path.of(new URI(uri));
      } catch (URISyntaxException | IllegalArgumentException e) {
        throw new ConfigException(at, "not a valid file URI: " + uri);
      }
    } else if (uri.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
      throw new ConfigException(at, "unsupported storage scheme in '" + uri
          + "'; supported: mvn://, https://, http://, hf://, s3://, file:// and plain paths");
    } else {
      path = baseDirectory.resolve(uri).normalize();
    }
    if (!Files.exists(path)) {
      throw new ConfigException(at, "no such file: " + path);
    }
    if (!roots.isEmpty() && !ModelStore.isRemote(uri)) {
      checkUnderRoots(at, path, roots);
    }
    return path;
  }

  /** Symbolic links resolved, the file must lie under one of the roots: no {@code ..} or link escapes. */
  private static void checkUnderRoots(String at, Path path, List<Path> roots) throws ConfigException {
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      throw new ConfigException(at, "cannot read " + path + ": " + e.getMessage());
    }
    for (Path root : roots) {
      if (real.startsWith(root)) {
        return;
      }
    }
    throw new ConfigException(at, path + " lies outside server.modelRoots " + roots);
  }

  static String checkName(String at, String name) throws ConfigException {
    if (name == null) {
      throw new ConfigException(at, "missing");
    }
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(at, "'" + name + "' is not a valid name (letters, digits, '.', '_', '-')");
    }
    return name;
  }

  static String normalisePrefix(String at, String prefix) throws ConfigException {
    String trimmed = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    if (!trimmed.startsWith("/") || trimmed.length() < 2 || !trimmed.substring(1).matches("[A-Za-z0-9._~/-]+")) {
      throw new ConfigException(at, "'" + prefix + "' must be a path such as /mnist");
    }
    String first = trimmed.substring(1).split("/")[0];
    if (first.equals("v1") || first.equals("v2") || first.equals("metrics")) {
      throw new ConfigException(at, "'" + prefix + "' would hide the server's own /" + first + " routes");
    }
    return trimmed;
  }

  private static int checkPort(String at, int port) throws ConfigException {
    if (port < 0 || port > 65535) {
      throw new ConfigException(at, port + " is not a port number (0-65535; 0 picks a free port)");
    }
    return port;
  }

  private static io.sluice.engine.explain.ExplainSpec explainer(String at, SluiceConfig.Explainer explainer)
      throws ConfigException {
    if (explainer == null) {
      return null;
    }
    io.sluice.engine.explain.ExplainSpec defaults = io.sluice.engine.explain.ExplainSpec.DEFAULT;
    String method = explainer.method() == null ? defaults.method() : explainer.method();
    if (!method.equals("kernel_shap") && !method.equals("occlusion")) {
      throw new ConfigException(at + ".method", "must be kernel_shap or occlusion, got '" + method + "'");
    }
    return new io.sluice.engine.explain.ExplainSpec(method, null, null, 0,
        explainer.baseline() == null ? defaults.baseline() : explainer.baseline(),
        explainer.samples() == null ? defaults.samples() : positive(at + ".samples", explainer.samples()),
        explainer.window() == null ? defaults.window() : positive(at + ".window", explainer.window()),
        explainer.batchSize() == null ? defaults.batchSize() : positive(at + ".batchSize", explainer.batchSize()),
        explainer.maxModelCalls() == null ? defaults.maxModelCalls() : positive(at + ".maxModelCalls", explainer.maxModelCalls()));
  }

  private static List<GraphSpec> graphs(List<SluiceConfig.Graph> configured, Set<String> prefixes, Set<String> deployments)
      throws ConfigException {
    List<GraphSpec> graphs = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int g = 0; g < configured.size(); g++) {
      SluiceConfig.Graph graph = configured.get(g);
      String at = "graphs[" + g + "]";
      String name = checkName(at + ".name", graph.name());
      if (!names.add(name)) {
        throw new ConfigException(at + ".name", "another graph is already named '" + name + "'");
      }
      String prefix = normalisePrefix(at + ".routePrefix", graph.routePrefix() == null ? "/" + name : graph.routePrefix());
      if (!prefixes.add(prefix)) {
        throw new ConfigException(at + ".routePrefix", "an application or graph already uses " + prefix);
      }
      if (graph.nodes() == null || graph.nodes().isEmpty()) {
        throw new ConfigException(at + ".nodes", "a graph needs nodes, one of them named 'root'");
      }
      Map<String, NodeSpec> nodes = new LinkedHashMap<>();
      for (Map.Entry<String, SluiceConfig.GraphNode> entry : graph.nodes().entrySet()) {
        nodes.put(entry.getKey(), node(at + ".nodes." + entry.getKey(), entry.getValue()));
      }
      GraphSpec spec = new GraphSpec(name, prefix, nodes);
      List<String> problems = spec.problems(deployments);
      if (!problems.isEmpty()) {
        String first = problems.getFirst();
        int colon = first.indexOf(": ");
        throw new ConfigException(at + "." + first.substring(0, colon), first.substring(colon + 2));
      }
      graphs.add(spec);
    }
    return graphs;
  }

  private static NodeSpec node(String at, SluiceConfig.GraphNode node) throws ConfigException {
    if (node == null || node.routerType() == null) {
      throw new ConfigException(at + ".routerType", "missing; expected Sequence, Switch, Ensemble or Splitter");
    }
    RouterType type;
    try {
      type = RouterType.parse(node.routerType());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(at + ".routerType",
          "'" + node.routerType() + "' is not a router type; expected Sequence, Switch, Ensemble or Splitter");
    }
    List<StepSpec> steps = new ArrayList<>();
    List<SluiceConfig.GraphStep> configured = node.steps() == null ? List.of() : node.steps();
    for (int i = 0; i < configured.size(); i++) {
      SluiceConfig.GraphStep step = configured.get(i);
      String stepAt = at + ".steps[" + i + "]";
      if (step == null) {
        throw new ConfigException(stepAt, "empty step");
      }
      String name = step.name();
      if (name == null) {
        String target = step.serviceName() != null ? step.serviceName() : step.nodeName() != null ? step.nodeName() : "step";
        boolean taken = configured.stream().anyMatch(other -> other != step && other != null
            && (target.equals(other.name()) || other.name() == null && target.equals(other.serviceName())));
        name = taken ? target + "-" + i : target;
      }
      String data = step.data() == null ? "$response" : step.data();
      if (!data.equals("$response") && !data.equals("$request")) {
        throw new ConfigException(stepAt + ".data", "must be $request or $response, got '" + data + "'");
      }
      Condition condition = null;
      if (step.condition() != null) {
        try {
          condition = Condition.parse(step.condition());
        } catch (IllegalArgumentException e) {
          throw new ConfigException(stepAt + ".condition", e.getMessage());
        }
      }
      String dependency = step.dependency() == null ? "Hard" : step.dependency();
      if (!dependency.equalsIgnoreCase("Hard") && !dependency.equalsIgnoreCase("Soft")) {
        throw new ConfigException(stepAt + ".dependency", "must be Hard or Soft, got '" + dependency + "'");
      }
      Duration timeout = step.timeout() == null ? null : positiveDuration(stepAt + ".timeout", step.timeout());
      steps.add(new StepSpec(name, step.serviceName(), step.nodeName(), data.equals("$request"), condition,
          step.weight() == null ? (type == RouterType.SPLITTER ? 0 : 1) : step.weight(),
          dependency.equalsIgnoreCase("Soft"), timeout));
    }
    return new NodeSpec(type, steps);
  }

  private static TransformerSpec transformer(String at, SluiceConfig.Transformer transformer, Path baseDirectory)
      throws ConfigException {
    if (transformer == null) {
      return null;
    }
    if (transformer.steps() == null || transformer.steps().isEmpty()) {
      throw new ConfigException(at + ".steps", "a transformer needs at least one step");
    }
    Path plugins = baseDirectory.resolve(transformer.plugins() == null ? "plugins" : transformer.plugins()).normalize();
    TransformerFactories factories = TransformerFactories.discover(plugins);
    List<TransformerSpec.Step> steps = new ArrayList<>();
    for (int i = 0; i < transformer.steps().size(); i++) {
      SluiceConfig.TransformerStep step = transformer.steps().get(i);
      String name = step == null ? null : step.step();
      if (name == null || factories.find(name).isEmpty()) {
        throw new ConfigException(at + ".steps[" + i + "].step",
            (name == null ? "missing" : "unknown step '" + name + "'") + "; available: " + factories.names());
      }
      steps.add(new TransformerSpec.Step(name, step.settings()));
    }
    return new TransformerSpec(steps, plugins);
  }

  static int positive(String at, int value) throws ConfigException {
    if (value < 1) {
      throw new ConfigException(at, "must be at least 1, got " + value);
    }
    return value;
  }

  static long parseSize(String at, String text) throws ConfigException {
    Matcher matcher = SIZE.matcher(text.trim());
    if (!matcher.matches()) {
      throw new ConfigException(at, "'" + text + "' is not a size such as 64Mi or 1048576");
    }
    String unit = matcher.group(2) == null ? "" : matcher.group(2).toUpperCase(Locale.ROOT);
    int shift = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
      case 'K' -> 10;
      case 'M' -> 20;
      case 'G' -> 30;
      case 'T' -> 40;
      default -> 0;
    };
    try {
      long value = Long.parseLong(matcher.group(1));
      if (value > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return value << shift;
    } catch (NumberFormatException e) {
      throw new ConfigException(at, "'" + text + "' is larger than 2^63 bytes");
    }
  }
}
