package io.sluice.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.engine.graph.GraphSpec;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.model.TrafficSpec;
import io.sluice.engine.replica.ReplicaHosting;
import io.sluice.pipelines.PipelineSpec;
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
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads and validates the YAML configuration; every problem names the YAML path where it is. */
public final class ConfigLoader {

  private final Runtimes runtimes;
  private final ModelStore store;

  /**
   * Model roots imposed on every configuration this loader reads, whatever it declares; null: its
   * own.
   */
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
   * A loader for configurations from clients (the admin API): model files must lie under the
   * running server's {@code modelRoots}, whatever the submitted configuration says.
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
    ObjectMapper mapper =
        new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    try {
      SluiceConfig config = mapper.readValue(yaml, SluiceConfig.class);
      if (config == null) {
        throw new ConfigException("", "the configuration is empty");
      }
      return config;
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(
          path(e),
          "unknown field; expected one of " + new java.util.TreeSet<>(e.getKnownPropertyIds()));
    } catch (JsonMappingException e) {
      throw new ConfigException(path(e), e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "",
          "not valid YAML: "
              + e.getOriginalMessage()
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
    int port = server.port() == null ? 8000 : ConfigValues.checkPort("server.port", server.port());
    Integer grpcPort =
        server.grpcPort() == null
            ? null
            : ConfigValues.checkPort("server.grpcPort", server.grpcPort());
    long maxBody =
        server.maxRequestBody() == null
            ? 64L << 20
            : ConfigValues.parseSize("server.maxRequestBody", server.maxRequestBody());
    int cpus = Runtime.getRuntime().availableProcessors();
    int eventLoops =
        server.eventLoops() == null
            ? cpus
            : ConfigValues.positive("server.eventLoops", server.eventLoops());
    int modelThreads =
        server.modelThreads() == null
            ? 2 * cpus
            : ConfigValues.positive("server.modelThreads", server.modelThreads());
    Duration autoscalerInterval =
        server.autoscalerInterval() == null
            ? Duration.ofSeconds(1)
            : ConfigValues.positiveDuration(
                "server.autoscalerInterval", server.autoscalerInterval());

    List<Path> roots = imposedRoots != null ? imposedRoots : modelRoots(config, baseDirectory);
    List<ServerSettings.ApplicationSettings> applications = new ArrayList<>();
    List<DeploymentSpec> deployments = new ArrayList<>();
    List<TrafficSpec> traffic = new ArrayList<>();
    List<String> deploymentPaths = new ArrayList<>();
    Set<String> applicationNames = new HashSet<>();
    Set<String> prefixes = new HashSet<>();
    Set<String> modelNames = new HashSet<>();
    Set<String> adapterNames = new HashSet<>();
    for (int a = 0; a < config.applications().size(); a++) {
      SluiceConfig.Application application = config.applications().get(a);
      String at = "applications[" + a + "]";
      String name = ConfigValues.checkName(at + ".name", application.name());
      if (!applicationNames.add(name)) {
        throw new ConfigException(
            at + ".name", "another application is already named '" + name + "'");
      }
      String prefix =
          ConfigValues.normalisePrefix(
              at + ".routePrefix",
              application.routePrefix() == null ? "/" + name : application.routePrefix());
      if (!prefixes.add(prefix)) {
        throw new ConfigException(
            at + ".routePrefix", "another application already uses " + prefix);
      }
      applications.add(
          new ServerSettings.ApplicationSettings(
              name,
              prefix,
              FrontDoorSettingsLoader.apiKeys(at + ".apiKeys", application.apiKeys()),
              FrontDoorSettingsLoader.rateLimit(at + ".rateLimit", application.rateLimit())));
      if (application.deployments().isEmpty()) {
        throw new ConfigException(
            at + ".deployments", "an application needs at least one deployment");
      }
      for (int d = 0; d < application.deployments().size(); d++) {
        SluiceConfig.Deployment deployment = application.deployments().get(d);
        String dat = at + ".deployments[" + d + "]";
        String model = ConfigValues.checkName(dat + ".name", deployment.name());
        if (!modelNames.add(model)) {
          throw new ConfigException(
              dat + ".name", "another deployment is already named '" + model + "'");
        }
        if (adapterNames.contains(model)) {
          throw new ConfigException(
              dat + ".name", "a LoRA adapter is already named '" + model + "'");
        }
        ReplicaHosting hosting = DeploymentSettings.hosting(dat + ".hosting", deployment.hosting());
        String runtime;
        Path location;
        URI endpoint = null;
        if (hosting == ReplicaHosting.REMOTE) {
          endpoint = DeploymentSettings.upstream(dat + ".storageUri", deployment.storageUri());
          runtime = deployment.runtime() == null ? "v2-remote" : deployment.runtime();
          location = baseDirectory;
        } else {
          if (deployment.runtime() == null) {
            throw new ConfigException(
                dat + ".runtime", "missing; available runtimes: " + runtimes.names());
          }
          if (runtimes.find(deployment.runtime()).isEmpty()) {
            throw new ConfigException(
                dat + ".runtime",
                "unknown runtime '"
                    + deployment.runtime()
                    + "'; available runtimes: "
                    + runtimes.names());
          }
          runtime = deployment.runtime();
          location =
              resolveStorage(dat + ".storageUri", deployment.storageUri(), baseDirectory, roots);
        }
        deployments.add(
            new DeploymentSpec(
                name,
                model,
                runtime,
                location,
                deployment.version(),
                withAdapters(dat, deployment, baseDirectory, roots, modelNames, adapterNames),
                DeploymentSettings.scaling(dat, deployment),
                DeploymentSettings.resources(dat + ".resources", deployment.resources()),
                hosting,
                endpoint,
                DeploymentSettings.explainer(dat + ".explainer", deployment.explainer()),
                DeploymentSettings.transformer(
                    dat + ".transformer", deployment.transformer(), baseDirectory),
                DeploymentSettings.servedName(dat + ".servedName", deployment.servedName()),
                deployment.priority() == null ? 0 : deployment.priority(),
                DeploymentSettings.multiplex(dat + ".multiplex", deployment, hosting)));
        traffic.add(DeploymentSettings.traffic(dat, deployment));
        deploymentPaths.add(dat);
      }
    }
    List<GraphSpec> graphs = GraphSettings.graphs(config.graphs(), prefixes, modelNames);
    List<PipelineSpec> pipelines =
        PipelineSettings.pipelines(config.pipelines(), prefixes, modelNames, baseDirectory);
    if (server.adminToken() != null && server.adminToken().length() < 16) {
      throw new ConfigException("server.adminToken", "must be at least 16 characters");
    }
    boolean adminLoopbackOnly = server.adminLoopbackOnly() == null || server.adminLoopbackOnly();
    return new ServerSettings(
        host,
        port,
        grpcPort,
        maxBody,
        eventLoops,
        modelThreads,
        autoscalerInterval,
        server.adminToken(),
        adminLoopbackOnly,
        FrontDoorSettingsLoader.load(server, baseDirectory),
        ObservabilityLoader.observability(server),
        roots,
        AcceleratorSettings.accelerators(config.accelerators()),
        applications,
        deployments,
        DeploymentSettings.checkShadows(traffic, modelNames, deploymentPaths),
        deploymentPaths,
        graphs,
        pipelines,
        MemorySettings.load(server));
  }

  /**
   * A LoRA adapter added at run time: its name checked, its file fetched as a configuration's would
   * be (under the server's model roots).
   */
  public Path fetchAdapter(String name, String uri, Path baseDirectory, ServerSettings current)
      throws ConfigException {
    ConfigValues.checkName("name", name);
    return resolveStorage(
            "storageUri",
            uri,
            baseDirectory,
            imposedRoots != null ? imposedRoots : current.modelRoots())
        .toAbsolutePath();
  }

  /**
   * The deployment's settings with its {@code adapters} (LoRA files, any storage URI) fetched and
   * added as {@code adapter.NAME} settings. An adapter's name is a model name of its own: it may be
   * no deployment's and no other adapter's.
   */
  private Map<String, String> withAdapters(
      String at,
      SluiceConfig.Deployment deployment,
      Path baseDirectory,
      List<Path> roots,
      Set<String> modelNames,
      Set<String> adapterNames)
      throws ConfigException {
    if (deployment.adapters().isEmpty()) {
      return deployment.settings();
    }
    Map<String, String> settings = new java.util.HashMap<>(deployment.settings());
    for (var adapter : new java.util.TreeMap<>(deployment.adapters()).entrySet()) {
      String where = at + ".adapters." + adapter.getKey();
      String name = ConfigValues.checkName(where, adapter.getKey());
      if (modelNames.contains(name) || !adapterNames.add(name)) {
        throw new ConfigException(
            where, "'" + name + "' already names a deployment or another adapter");
      }
      Path file = resolveStorage(where, adapter.getValue(), baseDirectory, roots);
      settings.put(
          io.sluice.spi.ModelSource.ADAPTER_PREFIX + name, file.toAbsolutePath().toString());
    }
    return settings;
  }

  private Path resolveStorage(String at, String uri, Path baseDirectory, List<Path> roots)
      throws ConfigException {
    if (uri == null || uri.isBlank()) {
      throw new ConfigException(
          at,
          "missing; give an mvn://, https://, hf://, s3:// or file:// URI, or a path relative to the configuration file");
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
      throw new ConfigException(
          at,
          "unsupported storage scheme in '"
              + uri
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

  /**
   * Symbolic links resolved, the file must lie under one of the roots: no {@code ..} or link
   * escapes.
   */
  private static void checkUnderRoots(String at, Path path, List<Path> roots)
      throws ConfigException {
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
}
