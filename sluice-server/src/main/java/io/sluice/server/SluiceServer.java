package io.sluice.server;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.sluice.engine.Engine;
import io.sluice.engine.events.EventJournal;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.placement.AcceleratorDiscovery;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.replica.EndpointDirectory;
import io.sluice.engine.residency.Residency;
import io.sluice.engine.revision.RevisionContext;
import io.sluice.engine.tracing.TracingSdk;
import io.sluice.protocol.kserve.ServerInfo;
import io.sluice.protocol.kserve.client.V2RemoteConnector;
import io.sluice.server.admin.AdminAccess;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import io.sluice.server.config.ConfigWatcher;
import io.sluice.server.config.FrontDoorSettings;
import io.sluice.server.config.ObservabilitySettings;
import io.sluice.server.config.ServerSettings;
import io.sluice.server.http.CertificateReloader;
import io.sluice.server.http.ConnectionDrain;
import io.sluice.server.http.FrontDoor;
import io.sluice.server.http.FrontDoorVerticle;
import io.sluice.server.metrics.DeploymentMetrics;
import io.sluice.server.metrics.LlmMetrics;
import io.sluice.server.metrics.ReportedMetrics;
import io.sluice.server.metrics.RequestMetrics;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.Runtimes;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Sluice: engine, models and the front door. {@link #start} loads every model and opens
 * the port(s); {@link #close} stops accepting connections, lets in-flight requests finish, then
 * unloads.
 */
public final class SluiceServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);
  public static final String VERSION = "0.1.0";

  private final ServerSettings settings;

  /** The tracing SDK when tracing is on, else null. */
  private final OpenTelemetrySdk telemetry;

  private final Vertx vertx;
  private final Engine engine;
  private final RequestMetrics metrics = new RequestMetrics();
  private final AdminAccess admin;
  private final Placer placer;
  private final Runtimes runtimes;
  private final Path configFile;
  private final RevisionContext context;
  private final EndpointDirectory endpoints = new EndpointDirectory();
  private final ConfigApplier applier;
  private volatile FrontDoor frontDoor;
  private ConfigWatcher watcher;
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
  private final AtomicInteger openConnections = new AtomicInteger();
  private final ConnectionDrain drain = new ConnectionDrain();

  /** The longest the first step of a stop waits for clients to leave (the rest is Vert.x's). */
  private static final int MAX_DRAIN_SECONDS = 5;

  /** The largest WebSocket message taken: 16 MiB, a minute of 24 kHz audio in base64. */
  private static final int MAX_WEBSOCKET_MESSAGE = 16 << 20;

  private final LongAdder acceptedRequests = new LongAdder();
  private int port = -1;
  private int grpcPort = -1;

  private SluiceServer(
      ServerSettings settings, Runtimes runtimes, Path configFile, OpenTelemetrySdk tracing) {
    this.settings = settings;
    this.runtimes = runtimes;
    this.configFile = configFile;
    this.admin =
        AdminAccess.of(
            settings.adminToken(),
            settings.adminLoopbackOnly(),
            settings.frontDoor().tls() != null && settings.frontDoor().tls().clientCa() != null);
    ExecutorService modelExecutor = modelExecutor(settings.modelThreads());
    this.placer =
        new Placer(
            settings.accelerators() != null
                ? settings.accelerators()
                : AcceleratorDiscovery.discover(),
            settings.memory().budgetBytes());
    EventJournal journal = new EventJournal();
    this.context =
        new RevisionContext(
            name -> runtimes.find(name).orElse(null),
            modelExecutor,
            System::nanoTime,
            placer,
            new V2RemoteConnector(),
            endpoints,
            journal,
            new Residency(
                placer, journal, System::nanoTime, settings.memory().quantum(), modelExecutor));
    List<Deployment> deployments = new ArrayList<>();
    for (int i = 0; i < settings.deployments().size(); i++) {
      deployments.add(
          new Deployment(settings.deployments().get(i), settings.traffic().get(i), context));
    }
    this.engine =
        new Engine(
            new ModelRegistry(deployments),
            modelExecutor,
            settings.autoscalerInterval(),
            context.events(),
            context.residency());
    deployments.forEach(deployment -> DeploymentMetrics.bind(metrics.registry(), deployment));
    DeploymentMetrics.bindMemory(metrics.registry(), context.residency());
    ReportedMetrics reported = new ReportedMetrics(metrics.registry());
    metrics.beforeScrape(() -> reported.refresh(engine.registry().all()));
    engine.listenToGenerations(new LlmMetrics(metrics.registry()));
    this.applier =
        new ConfigApplier(
            engine,
            context,
            settings,
            new ConfigApplier.ApplicationListener() {
              @Override
              public void added(ServerSettings.ApplicationSettings application) {
                frontDoor.mounts().added(application);
              }

              @Override
              public void removed(ServerSettings.ApplicationSettings application) {
                frontDoor.mounts().removed(application);
              }

              @Override
              public void graphs(java.util.List<io.sluice.engine.graph.GraphSpec> graphs) {
                frontDoor.mounts().graphs(graphs);
              }

              @Override
              public void pipelines(java.util.List<io.sluice.pipelines.PipelineSpec> pipelines) {
                frontDoor.mounts().pipelines(pipelines);
              }
            },
            deployment -> DeploymentMetrics.bind(metrics.registry(), deployment));
    ObservabilitySettings.Tracing traced = settings.observability().tracing();
    this.telemetry =
        tracing != null
            ? tracing
            : traced == null
                ? null
                : new TracingSdk(traced.endpoint(), traced.sampleRatio(), traced.serviceName())
                    .start();
    VertxBuilder vertxBuilder =
        Vertx.builder().with(new VertxOptions().setEventLoopPoolSize(settings.eventLoops()));
    if (telemetry != null) {
      engine.traceWith(telemetry);
      vertxBuilder.withTracer(new OpenTelemetryTracingFactory(telemetry));
    }
    this.vertx = vertxBuilder.build();
  }

  /**
   * Loads every configured model, then listens. A model that cannot load fails start-up with its
   * YAML path; nothing is left running.
   */
  public static SluiceServer start(ServerSettings settings, Runtimes runtimes)
      throws ConfigException {
    return start(settings, runtimes, null, false);
  }

  /**
   * @param configFile the configuration file: relative paths in configurations applied later
   *     resolve against its directory; null for the working directory
   * @param watchConfig reload {@code configFile} whenever it changes
   */
  public static SluiceServer start(
      ServerSettings settings, Runtimes runtimes, Path configFile, boolean watchConfig)
      throws ConfigException {
    return start(settings, runtimes, configFile, watchConfig, null);
  }

  /**
   * Like {@link #start(ServerSettings, Runtimes, Path, boolean)}, recording spans with {@code
   * tracing} whatever {@code server.tracing} says (tests give an SDK with an in-memory exporter);
   * null: as configured.
   */
  public static SluiceServer start(
      ServerSettings settings,
      Runtimes runtimes,
      Path configFile,
      boolean watchConfig,
      OpenTelemetrySdk tracing)
      throws ConfigException {
    SluiceServer server = new SluiceServer(settings, runtimes, configFile, tracing);
    try {
      server.loadModels();
      server.listen();
      if (watchConfig && configFile != null) {
        server.watcher = new ConfigWatcher(configFile, new ConfigLoader(runtimes), server.applier);
      }
      return server;
    } catch (ConfigException | RuntimeException e) {
      server.close();
      throw e;
    } catch (IOException e) {
      server.close();
      throw new IllegalStateException("cannot watch " + configFile + ": " + e.getMessage(), e);
    }
  }

  private void loadModels() throws ConfigException {
    List<Deployment> all = engine.registry().all();
    for (int i = 0; i < all.size(); i++) {
      try {
        all.get(i).load();
      } catch (ModelLoadException e) {
        throw new ConfigException(
            settings.deploymentPaths().get(i) + ".storageUri", e.getMessage());
      }
    }
  }

  private void listen() {
    ServerInfo info = new ServerInfo("sluice", VERSION, ServerInfo.V2_EXTENSIONS);
    Path directory =
        configFile == null ? Path.of("").toAbsolutePath() : configFile.toAbsolutePath().getParent();
    frontDoor =
        new FrontDoor(
            vertx,
            engine,
            settings,
            info,
            metrics,
            admin,
            placer,
            applier,
            new ConfigLoader(runtimes).imposingRoots(settings.modelRoots()),
            directory);
    FrontDoorSettings.Limits limits = settings.frontDoor().limits();
    HttpServerOptions options =
        new HttpServerOptions()
            .setHost(settings.host())
            .setTcpNoDelay(true)
            .setHttp2ClearTextEnabled(true)
            .setHandle100ContinueAutomatically(true)
            // Closes connections that never complete a first request header; ConnectionGuard
            // removes it from each
            // connection that does, and closes idle ones itself, but never one with a request in
            // flight.
            .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, limits.headerTimeout().toMillis()))
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
            .setMaxHeaderSize(limits.maxHeaderSize())
            // Realtime sessions' events: a client may send seconds of audio in one unfragmented
            // frame
            .setMaxWebSocketFrameSize(MAX_WEBSOCKET_MESSAGE)
            .setMaxWebSocketMessageSize(MAX_WEBSOCKET_MESSAGE)
            .setInitialSettings(
                new Http2Settings()
                    .setMaxConcurrentStreams(limits.maxConcurrentStreams())
                    .setMaxHeaderListSize(limits.maxHeaderSize()))
            .setSslHandshakeTimeout(limits.headerTimeout().toMillis())
            .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
            // Clients such as `curl -d` label JSON bodies as forms; Vert.x then decodes them as
            // form fields, which
            // must not fail for bodies larger than the default 8 KiB attribute limit.
            .setMaxFormAttributeSize((int) Math.min(Integer.MAX_VALUE, settings.maxRequestBody()))
            .setMaxFormBufferedBytes((int) Math.min(Integer.MAX_VALUE, settings.maxRequestBody()));
    FrontDoorSettings.Tls tls = settings.frontDoor().tls();
    if (tls != null) {
      // HTTP/1.1 and HTTP/2 (gRPC included) over TLS on the same port, chosen by ALPN.
      options
          .setSsl(true)
          .setUseAlpn(true)
          .setHttp2ClearTextEnabled(false)
          .setKeyCertOptions(CertificateReloader.keyCertificate(tls));
      if (tls.clientCa() != null) {
        options
            .setClientAuth(ClientAuth.REQUEST)
            .setTrustOptions(new PemTrustOptions().addCertPath(tls.clientCa().toString()));
      }
      CertificateReloader reloader =
          new CertificateReloader(tls, options.getSslOptions(), () -> List.copyOf(servers));
      // File checks are blocking I/O: never on an event loop.
      vertx.setPeriodic(
          2000,
          id ->
              vertx.executeBlocking(
                  () -> {
                    reloader.check();
                    return null;
                  }));
    }
    port =
        deploy(
            new HttpServerOptions(options).setPort(concretePort(settings.port())),
            frontDoor,
            settings.eventLoops());
    if (settings.grpcPort() != null) {
      grpcPort =
          deploy(
              new HttpServerOptions(options).setPort(concretePort(settings.grpcPort())),
              frontDoor.grpcOnly(),
              1);
    }
  }

  /** The scheme clients use: https when TLS is configured. */
  public String scheme() {
    return settings.frontDoor().tls() == null ? "http" : "https";
  }

  /**
   * Vert.x 5 shares a listening socket only among servers that ask for the same concrete port, so
   * port 0 is turned into a free port first (the kernel picks it; the window before Vert.x binds it
   * is tiny).
   */
  private int concretePort(int requested) {
    if (requested != 0) {
      return requested;
    }
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(settings.host()))) {
      return probe.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot find a free port on " + settings.host() + ": " + e.getMessage(), e);
    }
  }

  private int deploy(HttpServerOptions options, Handler<HttpServerRequest> handler, int instances) {
    List<HttpServer> started = new CopyOnWriteArrayList<>();
    await(
        vertx.deployVerticle(
            () ->
                new FrontDoorVerticle(
                    options,
                    handler,
                    settings.frontDoor().limits(),
                    openConnections,
                    acceptedRequests,
                    drain,
                    started::add),
            new DeploymentOptions().setInstances(instances)));
    servers.addAll(started);
    int actual = started.get(0).actualPort();
    for (HttpServer server : started) {
      if (server.actualPort() != actual) {
        throw new IllegalStateException(
            "event-loop servers bound different ports: " + actual + ", " + server.actualPort());
      }
    }
    return actual;
  }

  private <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting", e);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(
          "cannot listen on " + settings.host() + ": " + cause.getMessage(), cause);
    }
  }

  private static ExecutorService modelExecutor(int threads) {
    AtomicInteger counter = new AtomicInteger();
    return new ThreadPoolExecutor(
        threads,
        threads,
        60,
        TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(),
        runnable -> {
          Thread thread = new Thread(runnable, "sluice-model-" + counter.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  /**
   * HTTP requests whose header was received, since start: each got an answer unless its connection
   * broke.
   */
  /** The settings the server started with. */
  public ServerSettings settings() {
    return settings;
  }

  public long acceptedRequests() {
    return acceptedRequests.sum();
  }

  public int port() {
    return port;
  }

  public int grpcPort() {
    return grpcPort;
  }

  public String host() {
    return settings.host();
  }

  /**
   * Routes requests by the address they were sent to as well as their paths (a Kubernetes router).
   */
  public void address(io.sluice.server.http.RequestAddressing addressing) {
    frontDoor.address(addressing);
  }

  public Engine engine() {
    return engine;
  }

  /** The groups of servers behind remote endpoints (filled by the Kubernetes router). */
  public EndpointDirectory endpoints() {
    return endpoints;
  }

  public ConfigApplier applier() {
    return applier;
  }

  public Placer placer() {
    return placer;
  }

  public AdminAccess admin() {
    return admin;
  }

  public RequestMetrics metrics() {
    return metrics;
  }

  /**
   * Graceful stop: servers stop accepting and wait (up to {@code drainSeconds}) for in-flight
   * requests, then the engine drains and unloads every model.
   */
  public void close(int drainSeconds) {
    if (watcher != null) {
      try {
        watcher.close();
      } catch (IOException e) {
        log.debug("config watcher did not close: {}", e.toString());
      }
    }
    awaitDrained(Duration.ofSeconds(Math.min(drainSeconds, MAX_DRAIN_SECONDS)));
    List<Future<Void>> shutdowns = new ArrayList<>();
    for (HttpServer server : servers) {
      shutdowns.add(server.shutdown(drainSeconds, TimeUnit.SECONDS));
    }
    try {
      Future.join(shutdowns)
          .toCompletionStage()
          .toCompletableFuture()
          .get(drainSeconds + 5L, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("HTTP servers did not drain cleanly: {}", e.toString());
    }
    if (frontDoor != null) {
      frontDoor.flushLogs();
    }
    engine.close();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("Vert.x did not close cleanly: {}", e.toString());
    }
    if (telemetry != null) {
      TracingSdk.stop(telemetry); // exports the last spans
    }
  }

  /**
   * Tells every client to go elsewhere (see {@link ConnectionDrain}) and waits until they have, at
   * most {@code bound}; Vert.x's own shutdown would close a keep-alive connection right after its
   * answer, under a client that may already be sending the next request.
   */
  private void awaitDrained(Duration bound) {
    drain.start();
    long deadline = System.nanoTime() + bound.toNanos();
    try {
      while (openConnections.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (openConnections.get() > 0) {
      log.info(
          "{} connections still open after {} s of draining",
          openConnections.get(),
          bound.toSeconds());
    }
  }

  @Override
  public void close() {
    close(30);
  }
}
