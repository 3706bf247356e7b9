package io.sluice.server.cli;

import io.sluice.server.SluiceServer;
import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import io.sluice.server.config.InferenceServiceManifests;
import io.sluice.server.config.ModelDirectory;
import io.sluice.server.config.ServerSettings;
import io.sluice.server.kubernetes.ClusterApi;
import io.sluice.server.kubernetes.ClusterScope;
import io.sluice.server.kubernetes.InferenceServiceRouting;
import io.sluice.server.kubernetes.KubernetesRouter;
import io.sluice.server.kubernetes.NamespaceAddressing;
import io.sluice.spi.Runtimes;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code sluice serve [--config FILE | -f isvc.yaml... | --model_dir DIR --model_name NAME] [--host
 * H] [--port N]}. Prints {@code Sluice listening on http://HOST:PORT} once every model is loaded;
 * SIGTERM or SIGINT drains in-flight requests and exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Start the server.")
public final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--config",
      description = "Configuration file (default: config/sluice.yaml under SLUICE_HOME).")
  Path config;

  @Option(
      names = {"-f", "--filename"},
      description =
          "KServe InferenceService manifests to serve instead of a"
              + " configuration file (repeatable; each service at /{name}).")
  List<Path> manifests = new ArrayList<>();

  @Option(
      names = {"--model_dir", "--model-dir"},
      description =
          "Serve the one model in this file or directory, as a"
              + " KServe serving runtime is asked to (with --model_name, --http_port).")
  Path modelDir;

  @Option(
      names = {"--model_name", "--model-name"},
      description = "The model's name with --model_dir (default: model).")
  String modelName = "model";

  @Option(
      names = {"--model_format", "--model-format"},
      description = "The model's format with --model_dir (default: read" + " from the files).")
  String modelFormat;

  @Option(
      names = {"--http_port", "--http-port"},
      description = "The port with --model_dir (default 8080).")
  Integer httpPort;

  @Option(
      names = "--kubernetes",
      description = "Route to the cluster's InferenceServices (in a pod: the router).")
  boolean kubernetes;

  @Option(names = "--host", description = "Address to bind, overriding server.host.")
  String host;

  @Option(names = "--port", description = "Port, overriding server.port; 0 picks a free port.")
  Integer port;

  @Option(
      names = "--no-watch",
      description = "Do not reload the configuration file when it changes.")
  boolean noWatch;

  @Option(
      names = "--drain-seconds",
      defaultValue = "30",
      description = "How long shutdown waits for in-flight requests.")
  int drainSeconds;

  /**
   * The router's {@code server:} section: with {@code SLUICE_ADMIN_TOKEN} set (from the chart's
   * Secret), its admin API answers other pods holding the token, since the operator reads the
   * routed load from it.
   */
  private static String routerServerSection(int listen) {
    String token = System.getenv("SLUICE_ADMIN_TOKEN");
    String admin =
        token == null || token.isBlank()
            ? ""
            : ", adminLoopbackOnly: false, adminToken: \""
                + token.strip().replace("\\", "").replace("\"", "")
                + "\"";
    return "server: {host: 0.0.0.0, port: " + listen + admin + "}\n";
  }

  @Override
  public Integer call() {
    Path file = config != null ? config : defaultConfig();
    Runtimes runtimes = Runtimes.discover();
    ServerSettings settings;
    SluiceServer server;
    KubernetesRouter router = null;
    try {
      ConfigLoader loader = new ConfigLoader(runtimes, ModelStore.standard(Progress.console()));
      if (kubernetes) {
        file = Path.of("(cluster)");
        int listen = port == null ? 8080 : port;
        String serverSection = routerServerSection(listen);
        settings =
            loader
                .validate(
                    loader.parse(serverSection + "applications: []\n"),
                    Path.of(".").toAbsolutePath())
                .withListen(host, port);
        server = SluiceServer.start(settings, runtimes, null, false);
        NamespaceAddressing addressing = new NamespaceAddressing();
        server.address(addressing);
        router =
            new KubernetesRouter(
                ClusterApi.inCluster(),
                server.engine(),
                server.endpoints(),
                loader,
                server.applier(),
                new InferenceServiceRouting(serverSection),
                addressing,
                ClusterScope.fromEnvironment(),
                Duration.ofSeconds(1));
      } else if (modelDir != null) {
        file = modelDir;
        settings =
            loader
                .validate(
                    loader.parse(
                        ModelDirectory.toConfiguration(
                            modelName, modelDir, modelFormat, httpPort == null ? 8080 : httpPort)),
                    Path.of(".").toAbsolutePath())
                .withListen(host, port);
        server = SluiceServer.start(settings, runtimes, null, false);
      } else if (manifests.isEmpty()) {
        settings = loader.load(file).withListen(host, port);
        server = SluiceServer.start(settings, runtimes, file, !noWatch);
      } else {
        file = manifests.getFirst();
        settings =
            loader
                .validate(
                    loader.parse(InferenceServiceManifests.toConfiguration(manifests)),
                    Path.of(".").toAbsolutePath())
                .withListen(host, port);
        server = SluiceServer.start(settings, runtimes, null, false);
      }
    } catch (ConfigException e) {
      System.err.println("sluice: " + file + ": " + e.getMessage());
      return 2;
    } catch (IllegalStateException
        | java.io.IOException
        | java.security.GeneralSecurityException e) {
      System.err.println("sluice: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    KubernetesRouter routes = router;
    Thread stopper =
        new Thread(
            () -> {
              if (routes != null) {
                routes.close();
              }
              server.close(drainSeconds);
              System.err.println(
                  "sluice: stopped after accepting " + server.acceptedRequests() + " requests");
              stopped.countDown();
            },
            "sluice-shutdown");
    AtomicBoolean stopping = new AtomicBoolean();
    Signal.handle(new Signal("TERM"), signal -> stopOnce(stopping, stopper));
    Signal.handle(new Signal("INT"), signal -> stopOnce(stopping, stopper));
    if (server.admin().generated()) {
      System.err.println(
          "sluice: admin API token (set server.adminToken to choose one): "
              + server.admin().token());
    }
    // With the access log on, standard output carries only JSON lines; the rest of the logs go to
    // standard error.
    java.io.PrintStream announce =
        server.settings().observability().accessLog() ? System.err : System.out;
    announce.println(
        "Sluice listening on "
            + server.scheme()
            + "://"
            + displayHost(server.host())
            + ":"
            + server.port());
    if (server.grpcPort() > 0) {
      announce.println(
          "Sluice gRPC listening on " + displayHost(server.host()) + ":" + server.grpcPort());
    }
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private static void stopOnce(AtomicBoolean stopping, Thread stopper) {
    if (stopping.compareAndSet(false, true)) {
      stopper.start();
    }
  }

  private static String displayHost(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private static Path defaultConfig() {
    String home =
        System.getProperty("sluice.home", System.getenv().getOrDefault("SLUICE_HOME", "."));
    return Path.of(home, "config", "sluice.yaml");
  }
}
