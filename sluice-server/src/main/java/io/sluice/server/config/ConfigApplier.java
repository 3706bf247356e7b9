package io.sluice.server.config;

import io.sluice.engine.Engine;
import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.revision.RevisionContext;
import io.sluice.spi.ModelLoadException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a whole configuration to a running server, declaratively: deployments whose spec is
 * unchanged keep their replicas (only traffic settings move), changed ones roll to a new revision,
 * new ones load, removed ones stop taking requests and drain. Server-level settings (host, ports,
 * threads) need a restart; they are reported as ignored.
 */
public final class ConfigApplier {
  private static final Logger log = LoggerFactory.getLogger(ConfigApplier.class);

  /** What an application of a configuration did, by deployment name. */
  public record Result(
      List<String> created,
      List<String> updated,
      List<String> unchanged,
      List<String> removed,
      List<String> ignored) {}

  /**
   * Called when applications appear or disappear, so their route prefixes can be mounted or
   * removed.
   */
  public interface ApplicationListener {
    void added(ServerSettings.ApplicationSettings application);

    void removed(ServerSettings.ApplicationSettings application);

    /**
     * The configuration's graphs, after each apply: mount new ones, update changed ones, remove the
     * rest.
     */
    void graphs(List<io.sluice.engine.graph.GraphSpec> graphs);

    /**
     * The configuration's pipelines, after each apply: unchanged ones keep their state (a built
     * document index).
     */
    void pipelines(List<io.sluice.pipelines.PipelineSpec> pipelines);
  }

  private final Engine engine;
  private final RevisionContext context;
  private final Executor executor;
  private final AtomicReference<ServerSettings> current;
  private final ApplicationListener applications;
  private final Consumer<Deployment> onCreated;

  public ConfigApplier(
      Engine engine,
      RevisionContext context,
      ServerSettings initial,
      ApplicationListener applications,
      Consumer<Deployment> onCreated) {
    this.engine = engine;
    this.context = context;
    this.executor = context.executor();
    this.current = new AtomicReference<>(initial);
    this.applications = applications;
    this.onCreated = onCreated;
  }

  public ServerSettings current() {
    return current.get();
  }

  public synchronized Result apply(ServerSettings next) {
    ServerSettings before = current.get();
    List<String> created = new ArrayList<>();
    List<String> updated = new ArrayList<>();
    List<String> unchanged = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    Set<String> wanted = new HashSet<>();
    next.deployments().forEach(spec -> wanted.add(spec.name()));

    for (ServerSettings.ApplicationSettings application : next.applications()) {
      if (!before.applications().contains(application)) {
        applications.added(application);
      }
    }
    for (Deployment deployment : engine.registry().all()) {
      if (!wanted.contains(deployment.name())) {
        engine.registry().remove(deployment); // new requests get 404; in-flight ones finish
        executor.execute(deployment::unload);
        removed.add(deployment.name());
      }
    }
    for (int i = 0; i < next.deployments().size(); i++) {
      DeploymentSpec spec = next.deployments().get(i);
      var existing = engine.registry().find(spec.name());
      if (existing.isEmpty()) {
        Deployment deployment = new Deployment(spec, next.traffic().get(i), context);
        engine.registry().add(deployment);
        onCreated.accept(deployment);
        executor.execute(() -> load(deployment));
        created.add(spec.name());
      } else if (existing.get().update(spec, next.traffic().get(i))) {
        updated.add(spec.name());
      } else {
        unchanged.add(spec.name());
      }
    }
    for (ServerSettings.ApplicationSettings application : before.applications()) {
      if (!next.applications().contains(application)) {
        applications.removed(application);
      }
    }
    applications.graphs(next.graphs());
    applications.pipelines(next.pipelines());
    List<String> ignored = ignoredServerChanges(before, next);
    current.set(withServerOf(before, next));
    log.info(
        "configuration applied: created {}, updated {}, unchanged {}, removed {}{}",
        created,
        updated,
        unchanged,
        removed,
        ignored.isEmpty() ? "" : "; ignored (restart to change) " + ignored);
    engine
        .events()
        .record(
            EngineEvent.Kind.CONFIG_APPLIED,
            null,
            "configuration applied: created "
                + created
                + ", updated "
                + updated
                + ", unchanged "
                + unchanged
                + ", removed "
                + removed);
    return new Result(created, updated, unchanged, removed, ignored);
  }

  /**
   * Tells the event journal that a configuration was not applied, and why; the current one stays.
   */
  public void refused(String why) {
    engine
        .events()
        .record(EngineEvent.Kind.CONFIG_REFUSED, null, "configuration not applied: " + why);
  }

  private static void load(Deployment deployment) {
    try {
      deployment.load();
    } catch (ModelLoadException e) {
      log.warn("deployment {} failed to load: {}", deployment.name(), e.getMessage());
    }
  }

  private static List<String> ignoredServerChanges(ServerSettings before, ServerSettings next) {
    List<String> ignored = new ArrayList<>();
    compare(ignored, "server.host", before.host(), next.host());
    compare(ignored, "server.port", before.port(), next.port());
    compare(ignored, "server.grpcPort", before.grpcPort(), next.grpcPort());
    compare(ignored, "server.maxRequestBody", before.maxRequestBody(), next.maxRequestBody());
    compare(ignored, "server.eventLoops", before.eventLoops(), next.eventLoops());
    compare(ignored, "server.modelThreads", before.modelThreads(), next.modelThreads());
    compare(
        ignored,
        "server.autoscalerInterval",
        before.autoscalerInterval(),
        next.autoscalerInterval());
    compare(ignored, "server.adminToken", before.adminToken(), next.adminToken());
    compare(
        ignored, "server.adminLoopbackOnly", before.adminLoopbackOnly(), next.adminLoopbackOnly());
    compare(ignored, "server.limits/auth/tls/rateLimit", before.frontDoor(), next.frontDoor());
    compare(ignored, "server.modelRoots", before.modelRoots(), next.modelRoots());
    compare(ignored, "accelerators", before.accelerators(), next.accelerators());
    compare(
        ignored,
        "server.memoryBudget/swapQuantum",
        before.memory().declared() ? before.memory() : null,
        next.memory().declared() ? next.memory() : null);
    return ignored;
  }

  private static void compare(List<String> ignored, String field, Object before, Object next) {
    if (!Objects.equals(before, next)) {
      ignored.add(field);
    }
  }

  /**
   * The next configuration's applications and deployments with the running server's own settings.
   */
  private static ServerSettings withServerOf(ServerSettings running, ServerSettings next) {
    return new ServerSettings(
        running.host(),
        running.port(),
        running.grpcPort(),
        running.maxRequestBody(),
        running.eventLoops(),
        running.modelThreads(),
        running.autoscalerInterval(),
        running.adminToken(),
        running.adminLoopbackOnly(),
        running.frontDoor(),
        running.observability(),
        running.modelRoots(),
        running.accelerators(),
        next.applications(),
        next.deployments(),
        next.traffic(),
        next.deploymentPaths(),
        next.graphs(),
        next.pipelines(),
        running.memory());
  }
}
