package io.sluice.server.http;

import io.sluice.engine.Engine;
import io.sluice.engine.graph.GraphRunner;
import io.sluice.engine.graph.GraphSpec;
import io.sluice.http.ModelListing;
import io.sluice.http.ModelScope;
import io.sluice.pipelines.PipelineSpec;
import io.sluice.protocol.anthropic.AnthropicProtocol;
import io.sluice.protocol.kserve.KServeProtocol;
import io.sluice.protocol.openai.OpenAiProtocol;
import io.sluice.server.access.ApiKeys;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ServerSettings;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * What is mounted where on the REST router: every protocol at the root and again under each
 * application's route prefix (scoped to its models), each graph and pipeline at its own prefix.
 * Follows configuration changes; the front door only asks it which application a path belongs to.
 */
public final class Mounts implements ConfigApplier.ApplicationListener {
  private final Vertx vertx;
  private final Engine engine;
  private final Router router;
  private final KServeProtocol kserve;
  private final OpenAiProtocol openAi;
  private final AnthropicProtocol anthropic;
  private final GraphRunner graphRunner;
  private final Map<String, MountedApplication> applications = new ConcurrentHashMap<>();
  private final Map<String, MountedGraph> graphs = new ConcurrentHashMap<>();
  private final Map<String, MountedPipeline> pipelines = new ConcurrentHashMap<>();
  private volatile BiConsumer<Boolean, Boolean> accessChanged = (keys, limits) -> {};

  private record MountedPipeline(PipelineSpec spec, List<Route> routes) {}

  private record MountedGraph(AtomicReference<GraphSpec> spec, List<Route> routes) {}

  /** An application's settings, its sub-router's route, and what its access gate checks. */
  record MountedApplication(
      ServerSettings.ApplicationSettings settings, Route route, AccessGate.Application access) {}

  public Mounts(
      Vertx vertx,
      Engine engine,
      Router router,
      KServeProtocol kserve,
      OpenAiProtocol openAi,
      AnthropicProtocol anthropic) {
    this.vertx = vertx;
    this.engine = engine;
    this.router = router;
    this.kserve = kserve;
    this.openAi = openAi;
    this.anthropic = anthropic;
    this.graphRunner = engine.graphRunner();
  }

  /**
   * Tells {@code listener} whether any application now requires keys, and whether any limits its
   * rate.
   */
  void onAccessChanged(BiConsumer<Boolean, Boolean> listener) {
    this.accessChanged = listener;
  }

  /** Every protocol at the root, for all models. */
  void mountRoot() {
    mountProtocols(router, ModelScope.global(engine));
  }

  /** Serves every protocol again under the application's route prefix, scoped to its models. */
  @Override
  public void added(ServerSettings.ApplicationSettings application) {
    Router scoped = Router.router(vertx);
    mountProtocols(scoped, ModelScope.application(engine, application.name()));
    AccessGate.Application access =
        new AccessGate.Application(
            application.name(),
            new ApiKeys(application.apiKeys(), null, System::nanoTime),
            application.rateLimit());
    MountedApplication previous =
        applications.put(
            application.routePrefix(),
            new MountedApplication(
                application,
                router.route(application.routePrefix() + "/*").subRouter(scoped),
                access));
    if (previous != null) {
      previous.route().remove();
    }
    applicationsChanged();
  }

  private void applicationsChanged() {
    accessChanged.accept(
        applications.values().stream().anyMatch(mounted -> mounted.access().keys().required()),
        applications.values().stream()
            .anyMatch(mounted -> mounted.access().rateLimit().limitsRequests()));
  }

  @Override
  public void removed(ServerSettings.ApplicationSettings application) {
    // A changed application is added again before the old one is removed: only remove what is still
    // its own.
    MountedApplication mounted = applications.get(application.routePrefix());
    if (mounted != null
        && mounted.settings().equals(application)
        && applications.remove(application.routePrefix(), mounted)) {
      mounted.route().remove();
      applicationsChanged();
    }
  }

  /**
   * Mounts each graph at its prefix; a changed graph keeps its route and answers with the new spec.
   */
  @Override
  public synchronized void graphs(List<GraphSpec> wanted) {
    Map<String, GraphSpec> byName = new java.util.HashMap<>();
    wanted.forEach(graph -> byName.put(graph.name(), graph));
    graphs
        .entrySet()
        .removeIf(
            entry -> {
              GraphSpec next = byName.get(entry.getKey());
              boolean gone =
                  next == null
                      || !next.routePrefix().equals(entry.getValue().spec().get().routePrefix());
              if (gone) {
                entry.getValue().routes().forEach(Route::remove);
              }
              return gone;
            });
    for (GraphSpec graph : wanted) {
      MountedGraph mounted = graphs.get(graph.name());
      if (mounted != null) {
        mounted.spec().set(graph);
        continue;
      }
      AtomicReference<GraphSpec> spec = new AtomicReference<>(graph);
      graphs.put(
          graph.name(),
          new MountedGraph(
              spec,
              kserve.mountGraph(
                  router,
                  graph.routePrefix(),
                  graph.name(),
                  request -> graphRunner.run(spec.get(), request))));
    }
  }

  /**
   * Mounts each pipeline at its prefix; an unchanged one keeps its routes and state (a built
   * document index).
   */
  @Override
  public synchronized void pipelines(List<PipelineSpec> wanted) {
    pipelines
        .entrySet()
        .removeIf(
            entry -> {
              boolean gone = !wanted.contains(entry.getValue().spec());
              if (gone) {
                entry.getValue().routes().forEach(Route::remove);
              }
              return gone;
            });
    for (PipelineSpec pipeline : wanted) {
      if (pipelines.containsKey(pipeline.name())) {
        continue;
      }
      List<Route> routes = openAi.mountPipeline(router, pipeline);
      pipelines.put(pipeline.name(), new MountedPipeline(pipeline, routes));
    }
  }

  /** The application whose route prefix the path starts with, or null. */
  MountedApplication mountedAt(String path) {
    int end = path.indexOf('/', 1);
    return applications.get(end < 0 ? path : path.substring(0, end));
  }

  /** Every protocol's REST routes for the models in {@code scope}. */
  private void mountProtocols(Router router, ModelScope scope) {
    new ModelListing(engine, scope, List.of(kserve.modelListFields(), openAi.modelListFields()))
        .mount(router);
    kserve.mount(router, scope);
    openAi.mount(router, scope);
    anthropic.mount(router, scope);
  }
}
