package io.sluice.engine.revision;

import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.engine.autoscale.AutoscalingPolicy;
import io.sluice.engine.autoscale.LoadWindow;
import io.sluice.engine.autoscale.ScalingDecision;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatus;
import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.events.EventJournal;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.multiplex.MultiplexedModel;
import io.sluice.engine.multiplex.MultiplexedModels;
import io.sluice.engine.replica.EndpointDirectory;
import io.sluice.engine.replica.RemoteConnector;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaHosting;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.engine.residency.Footprints;
import io.sluice.engine.residency.Residency;
import io.sluice.engine.residency.Tenant;
import io.sluice.engine.routing.Router;
import io.sluice.engine.stats.ModelStatistics;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One immutable version of a deployment's spec, served by 0..N replicas behind its own {@link
 * Router}. It keeps the replica count at its target (fixed, or set by the autoscaler), wakes from
 * zero on the first request, and drains replicas before stopping them. A remote revision whose
 * endpoint is a group of servers ({@link EndpointDirectory}) instead has one replica per server and
 * follows the group; whoever runs the servers scales them (from this revision's load), and requests
 * queue while the group is empty.
 */
public final class Revision implements Tenant {
  private static final Logger log = LoggerFactory.getLogger(Revision.class);

  private final int number;
  private final DeploymentSpec spec;
  private final ModelRuntime runtime;
  private final Executor executor;
  private final Residency residency;
  private final RemoteConnector remote;
  private final EndpointDirectory endpoints;
  private final EventJournal journal;
  private final LongSupplier nanoClock;
  private final ModelStatistics statistics;
  private final Router router;
  private final AutoscalingPolicy policy;
  private final LoadWindow window;
  private final List<Replica> replicas = new CopyOnWriteArrayList<>();
  private final AtomicInteger replicaNumbers = new AtomicInteger();
  private final Object lifecycleLock = new Object();

  /** The operator wants this model loaded (configured, or loaded through the repository API). */
  private static final Duration HEALTH_CHECK_PERIOD = Duration.ofSeconds(5);

  private static final Duration HEALTH_CHECK_TIMEOUT = Duration.ofSeconds(10);
  private volatile long lastHealthCheckNanos;
  private volatile boolean wanted;

  /** Its replicas take requests (the initial load succeeded and no unload has begun). */
  private volatile boolean serving;

  private volatile boolean loading;

  /**
   * Loading behind a group endpoint: requests queue until its first server is connected (whoever
   * runs the servers starts one for them), rather than being refused while the revision loads.
   */
  private volatile boolean loadingGroup;

  private volatile boolean unloading;
  private volatile int targetReplicas;
  private volatile ModelMetadata metadata;
  private volatile String failure = "";
  private volatile ScalingDecision lastDecision;
  private volatile long wokeAtNanos = -1;
  private volatile long lastColdStartNanos = -1;
  private volatile boolean awaitingServers;

  /** Largest memory a replica of it was measured to hold once loaded; -1 before any was. */
  private volatile long measuredBytes = -1;

  private volatile long weightsBytes = -1;
  private volatile java.util.Set<String> multiplexedIds;

  /**
   * Until when idle replicas stay loaded, set by a request's {@code keep_alive}; {@link
   * Long#MIN_VALUE} when no request set it, {@link Long#MAX_VALUE} for as long as nothing else
   * needs the room.
   */
  private volatile long keepUntilNanos = Long.MIN_VALUE;

  /**
   * @param number the revision number within its deployment (1, 2, ...)
   * @param context the runtime, executor, clock and placer this revision's replicas use
   * @param statistics the deployment's statistics, shared by its revisions
   */
  public Revision(
      int number, DeploymentSpec spec, RevisionContext context, ModelStatistics statistics) {
    this.number = number;
    this.spec = spec;
    this.runtime = context.runtimeFor(spec);
    this.executor = context.executor();
    this.nanoClock = context.nanoClock();
    this.residency = context.residency();
    this.remote = context.remote();
    this.endpoints = context.endpoints();
    this.journal = context.events();
    this.statistics = statistics;
    this.router = new Router(spec.name(), spec.scaling(), nanoClock, this::wakeFromZero);
    router.serversComeAndGo(() -> group().isPresent());
    this.policy =
        spec.scaling().autoscaling() == null
            ? null
            : new AutoscalingPolicy(spec.scaling().autoscaling());
    this.window =
        spec.scaling().autoscaling() == null
            ? null
            : new LoadWindow(spec.scaling().autoscaling().lookBackPeriod().toNanos());
  }

  public int number() {
    return number;
  }

  public DeploymentSpec spec() {
    return spec;
  }

  public String name() {
    return spec.name();
  }

  public String version() {
    return spec.version();
  }

  public boolean wanted() {
    return wanted;
  }

  public ModelStatistics statistics() {
    return statistics;
  }

  public Router router() {
    return router;
  }

  /** The ids of a multiplexed deployment's models (read once); empty for any other. */
  public java.util.Set<String> multiplexedIds() {
    java.util.Set<String> ids = multiplexedIds;
    if (ids == null) {
      ids =
          spec.multiplex() == null
              ? java.util.Set.of()
              : java.util.Set.copyOf(MultiplexedModels.in(spec.location()).keySet());
      multiplexedIds = ids;
    }
    return ids;
  }

  /** Who holds the host's memory and devices, and who leaves for whom. */
  public Residency residency() {
    return residency;
  }

  public int targetReplicas() {
    return targetReplicas;
  }

  public List<Replica> replicas() {
    return List.copyOf(replicas);
  }

  /** The autoscaler's last evaluation, or null before the first (or without autoscaling). */
  public ScalingDecision lastDecision() {
    return lastDecision;
  }

  /**
   * Time from the request that woke the deployment from zero to its replica being ready; -1 if
   * never.
   */
  public long lastColdStartNanos() {
    return lastColdStartNanos;
  }

  public ModelState state() {
    if (unloading) {
      return ModelState.UNLOADING;
    }
    if (loading) {
      return ModelState.LOADING;
    }
    if (!serving) {
      return failure.isEmpty() ? ModelState.UNAVAILABLE : ModelState.FAILED;
    }
    boolean starting = false;
    for (Replica replica : replicas) {
      if (replica.state() == ReplicaState.READY) {
        return ModelState.READY;
      }
      starting |=
          replica.state() == ReplicaState.STARTING || replica.state() == ReplicaState.PENDING;
    }
    if (targetReplicas == 0 && metadata != null) {
      // scaled to zero (or a group with no server now): the next request wakes it
      return ModelState.READY;
    }
    if (metadata != null
        && failure.isEmpty()
        && floor() == 0
        && replicas.stream().noneMatch(Replica::crashLooping)) {
      // loading on demand (waking, or waiting for room): requests are taken
      return ModelState.READY;
    }
    if (!starting && !failure.isEmpty()) {
      return ModelState.FAILED;
    }
    return ModelState.LOADING;
  }

  public ModelStatus status() {
    ModelState state = state();
    String reason =
        switch (state) {
          case FAILED -> failure;
          case UNAVAILABLE -> "unloaded";
          case LOADING -> pendingReason();
          default -> "";
        };
    return new ModelStatus(spec.application(), spec.name(), spec.version(), state, reason);
  }

  private String pendingReason() {
    for (Replica replica : replicas) {
      if (replica.state() == ReplicaState.PENDING) {
        return "replica " + replica.id() + " waits for placement: " + replica.reason();
      }
    }
    return "";
  }

  /** Requests running on this deployment's replicas now. */
  public int inFlight() {
    int total = 0;
    for (Replica replica : replicas) {
      total += replica.ongoing();
    }
    return total;
  }

  /** The model's metadata, known once a replica has loaded it. */
  public ModelMetadata metadata() {
    ModelMetadata known = metadata;
    if (known == null || !serving || unloading) {
      throw new ModelNotReadyException("model '" + spec.name() + "' " + notReadyReason());
    }
    return known;
  }

  private String notReadyReason() {
    return switch (state()) {
      case LOADING -> "is loading";
      case UNLOADING -> "is unloading";
      case UNAVAILABLE -> "is not loaded";
      case FAILED -> "failed to load: " + failure;
      case READY -> "is not ready";
    };
  }

  /** A lease on a replica for one request: now, after a wait in the queue, or a failure. */
  public CompletableFuture<Router.Lease> acquire() {
    return acquire(null);
  }

  /**
   * Like {@link #acquire()}, preferring a replica that has multiplexed model {@code multiplexed}
   * loaded (null: no preference).
   */
  public CompletableFuture<Router.Lease> acquire(String multiplexed) {
    if ((!serving && !loadingGroup) || unloading) {
      return CompletableFuture.failedFuture(
          new ModelNotReadyException("model '" + spec.name() + "' " + notReadyReason()));
    }
    return router
        .acquire(
            multiplexed == null
                ? null
                : replica ->
                    replica.model() instanceof MultiplexedModel model && model.holds(multiplexed))
        .whenComplete(
            (lease, error) -> {
              if (error instanceof ServerOverloadedException
                  || (error != null && error.getCause() instanceof ServerOverloadedException)) {
                statistics.recordRejection();
              }
            });
  }

  /**
   * Starts the initial replicas (at least one, which also validates the model and learns its
   * metadata), blocking until they are ready. Loading a ready deployment does nothing.
   *
   * @throws ModelLoadException when a replica cannot load the model; the deployment is then FAILED
   */
  public void load() throws ModelLoadException {
    synchronized (lifecycleLock) {
      if (serving && state() == ModelState.READY) {
        return;
      }
      wanted = true;
      failure = "";
      loading = true;
      try {
        router.open();
        if (group().isPresent()) {
          loadingGroup = true;
          try {
            loadGroup();
            serving = true;
          } catch (ModelLoadException e) {
            router.close("failed to load: " + e.getMessage());
            throw e;
          } finally {
            loadingGroup = false;
          }
          return;
        }
        int initial = Math.max(1, spec.scaling().initialReplicas());
        targetReplicas = initial;
        for (int i = 0; i < initial; i++) {
          Replica replica = newReplica();
          if (!placeWaiting(replica)) {
            if (!replicas.contains(replica)) {
              stopAll(failure);
              throw new ModelLoadException(failure);
            }
            continue; // stays PENDING; tick() retries the placement and starts it
          }
          try {
            replica.start();
          } catch (ModelLoadException e) {
            forget(replica);
            failure = e.getMessage();
            stopAll("failed to load: " + failure);
            throw e;
          }
          metadata = replica.model().metadata();
          loaded(replica);
          router.add(replica);
        }
        serving = true;
      } finally {
        loading = false;
      }
    }
  }

  /**
   * Places a replica, waiting (at most {@code maxQueueWait}) while replicas evicted to make room
   * for it stop.
   */
  private boolean placeWaiting(Replica replica) {
    long deadline = nanoClock.getAsLong() + spec.scaling().maxQueueWait().toNanos();
    while (true) {
      Residency.Verdict verdict = residency.place(replica, this, spec.resources(), footprint());
      if (verdict.placed() || !verdict.evicting() || nanoClock.getAsLong() >= deadline) {
        return settle(replica, verdict);
      }
      try {
        verdict.room().get(Math.max(1, deadline - nanoClock.getAsLong()), TimeUnit.NANOSECONDS);
      } catch (TimeoutException | ExecutionException e) {
        return place(replica);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return place(replica);
      }
    }
  }

  /** The servers behind this revision's endpoint, when it names a group of them. */
  private Optional<List<URI>> group() {
    return spec.hosting() == ReplicaHosting.REMOTE
        ? endpoints.members(spec.endpoint())
        : Optional.empty();
  }

  /**
   * Connects to the group's first server to learn the model's metadata (waiting up to {@code
   * maxQueueWait} for one to exist, while asking for one through its load: see {@link
   * #awaitingServers}), then to the others.
   */
  private void loadGroup() throws ModelLoadException {
    long deadline = nanoClock.getAsLong() + spec.scaling().maxQueueWait().toNanos();
    List<URI> servers = group().orElse(List.of());
    awaitingServers = true;
    try {
      while (servers.isEmpty()) {
        if (nanoClock.getAsLong() >= deadline) {
          // FAILED with the reason, not UNAVAILABLE: it is retried (a router's routes are) and says
          // why
          failure =
              "no server behind "
                  + spec.endpoint()
                  + " became ready within "
                  + spec.scaling().maxQueueWait().toSeconds()
                  + " s";
          throw new ModelLoadException(failure);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ModelLoadException(
              "interrupted while waiting for a server behind " + spec.endpoint());
        }
        servers = group().orElse(List.of());
      }
    } finally {
      awaitingServers = false;
    }
    Replica first = newReplica(servers.getFirst());
    try {
      first.start();
    } catch (ModelLoadException e) {
      forget(first);
      failure = e.getMessage();
      throw e;
    }
    metadata = first.model().metadata();
    router.add(first);
    targetReplicas = servers.size();
    for (URI server : servers.subList(1, servers.size())) {
      startAsync(newReplica(server));
    }
  }

  /**
   * Whether this revision is loading and waits for its group's first server: it wants one started.
   */
  public boolean awaitingServers() {
    return awaitingServers;
  }

  /**
   * Starts a replica for each server that joined the group, drains those of servers that left it.
   */
  private void followGroup(List<URI> servers) {
    if (!serving || unloading) {
      return; // not while loading: load() holds the lock while it waits for the group's first
      // server
    }
    synchronized (lifecycleLock) {
      if (!serving || unloading) {
        return;
      }
      targetReplicas = servers.size();
      Set<URI> known = new HashSet<>();
      for (Replica replica : replicas) {
        ReplicaState state = replica.state();
        if (state == ReplicaState.DRAINING || state == ReplicaState.STOPPED) {
          continue;
        }
        if (servers.contains(replica.server())) {
          known.add(replica.server());
        } else {
          log.info(
              "deployment {} revision {}: server {} left; draining replica {}",
              spec.name(),
              number,
              replica.server(),
              replica.id());
          router.remove(replica);
          replica.drain().thenRun(() -> forget(replica));
        }
      }
      for (URI server : servers) {
        if (!known.contains(server)) {
          startAsync(newReplica(server));
        }
      }
    }
  }

  /**
   * Stops taking requests, fails queued ones, drains every replica and stops it. Blocks until done.
   */
  public void stop() {
    stop(null);
  }

  /**
   * Like {@link #stop()}, but waits at most {@code patience} (null: without bound) for the requests
   * in flight; replicas still running one then are stopped under it. For shutdown, whose own drain
   * has already waited.
   */
  public void stop(Duration patience) {
    synchronized (lifecycleLock) {
      wanted = false;
      serving = false;
      stopAll("is not loaded", patience);
      failure = "";
    }
  }

  private void stopAll(String why) {
    stopAll(why, null);
  }

  private void stopAll(String why, Duration patience) {
    unloading = true;
    try {
      targetReplicas = 0;
      router.close(why);
      List<CompletableFuture<Void>> stops = new ArrayList<>();
      for (Replica replica : replicas) {
        router.remove(replica);
        stops.add(replica.drain());
      }
      CompletableFuture<Void> drained =
          CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new));
      if (patience == null) {
        drained.join();
      } else {
        try {
          drained.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          replicas.forEach(Replica::stopNow);
        } catch (ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          replicas.forEach(Replica::stopNow);
        }
      }
      for (Replica replica : replicas) {
        residency.leave(replica);
      }
      replicas.clear();
    } finally {
      unloading = false;
    }
  }

  /**
   * Sets the replica target and starts or drains replicas to meet it (a group's servers are scaled
   * by others).
   */
  public void scaleTo(int target) {
    synchronized (lifecycleLock) {
      if (!serving || unloading || group().isPresent()) {
        return;
      }
      targetReplicas = target;
      List<Replica> live = live();
      for (int i = live.size(); i < target; i++) {
        Replica replica = newReplica();
        if (place(replica)) {
          startAsync(replica);
        }
      }
      if (live.size() > target) {
        // Stop the ones doing least first: pending, then starting, then the least busy ready ones.
        live.sort(
            Comparator.comparingInt((Replica r) -> r.state().ordinal())
                .thenComparingInt(Replica::ongoing));
        for (Replica replica : live.subList(0, live.size() - target)) {
          router.remove(replica);
          replica.drain().thenRun(() -> forget(replica));
        }
      }
    }
  }

  /**
   * Reserves the replica's resources (evicting idle replicas of other deployments when that makes
   * room); false leaves it PENDING with the reason. One that could never fit is dropped and the
   * requests waiting for it fail at once.
   */
  private boolean place(Replica replica) {
    return settle(replica, residency.place(replica, this, spec.resources(), footprint()));
  }

  /** Acts on what placing the replica came to; true when it is placed. */
  private boolean settle(Replica replica, Residency.Verdict verdict) {
    if (verdict.placed()) {
      replica.placed(verdict.placement());
      return true;
    }
    if (verdict.never()) {
      replicas.remove(replica);
      targetReplicas = Math.min(targetReplicas, live().size());
      String why = "model '" + spec.name() + "' can never be loaded here: " + verdict.refusal();
      log.warn("{}", why);
      failure = why;
      router.failQueued(new ModelNotReadyException(why));
      return false;
    }
    if (replica.state() != ReplicaState.PENDING) {
      log.info("replica {} waits for room: {}", replica.id(), verdict.refusal());
    }
    replica.waitForPlacement(verdict.refusal());
    if (verdict.evicting()) {
      // the evicted may be gone before this replica was PENDING, and so missed by their leaving
      verdict.room().thenRun(() -> executor.execute(this::retryPending));
    }
    return false;
  }

  /**
   * What one replica holds: what the spec declares, what a replica was measured to hold once
   * loaded, and at least its weights' size on disk, whichever is largest.
   */
  public long footprint() {
    long weights = weightsBytes;
    if (weights < 0) {
      weights =
          spec.hosting() == ReplicaHosting.REMOTE
              ? 0
              : spec.multiplex() == null
                  ? Footprints.onDisk(spec.location())
                  : MultiplexedModels.in(spec.location()).values().stream()
                      .map(Footprints::onDisk)
                      .sorted(java.util.Comparator.reverseOrder())
                      .limit(spec.multiplex().maxModelsPerReplica())
                      .mapToLong(Long::longValue)
                      .sum();
      weightsBytes = weights;
    }
    return Math.max(spec.resources().memoryBytes(), Math.max(measuredBytes, weights));
  }

  /** Replicas that serve, load or wait for room: not draining, stopped or failed. */
  private List<Replica> live() {
    List<Replica> live = new ArrayList<>();
    for (Replica replica : replicas) {
      ReplicaState state = replica.state();
      if (state == ReplicaState.READY
          || state == ReplicaState.STARTING
          || state == ReplicaState.PENDING) {
        live.add(replica);
      }
    }
    return live;
  }

  private void forget(Replica replica) {
    replicas.remove(replica);
    residency.leave(replica);
  }

  /**
   * A replica finished loading: its measured footprint replaces the estimate it was placed with.
   */
  private void loaded(Replica replica) {
    long measured = replica.measuredMemoryBytes();
    if (measured > measuredBytes) {
      measuredBytes = measured;
    }
    residency.resize(replica, footprint());
  }

  @Override
  public String deployment() {
    return spec.name();
  }

  @Override
  public int priority() {
    return spec.priority();
  }

  /**
   * Replicas above {@code minReplicas} (or a fixed {@code numReplicas}) that are loaded or loading.
   */
  @Override
  public int spareReplicas() {
    if (!serving || unloading || group().isPresent()) {
      return 0;
    }
    int floor = floor();
    int loaded = 0;
    for (Replica replica : replicas) {
      if (replica.state() == ReplicaState.READY || replica.state() == ReplicaState.STARTING) {
        loaded++;
      }
    }
    return Math.max(0, loaded - floor);
  }

  /**
   * The replicas it keeps whatever the load: {@code minReplicas}, or a fixed {@code numReplicas}.
   */
  private int floor() {
    return spec.scaling().autoscaling() == null
        ? spec.scaling().numReplicas()
        : spec.scaling().autoscaling().minReplicas();
  }

  @Override
  public boolean hasQueuedRequests() {
    return router.load().queued() > 0;
  }

  /**
   * Stops routing to the replica and stops it once its requests have finished, lowering the target;
   * requests queued meanwhile wait and bring a replica back when there is room.
   */
  @Override
  public void evict(Replica replica, String why) {
    synchronized (lifecycleLock) {
      if (!replicas.contains(replica)) {
        return;
      }
      router.remove(replica);
      targetReplicas = Math.max(0, targetReplicas - 1);
      forgetLoad();
    }
    log.info(
        "deployment {} revision {}: replica {} evicted {}", spec.name(), number, replica.id(), why);
    replica
        .drain()
        .thenRun(
            () -> {
              forget(replica);
              if (hasQueuedRequests()) {
                wakeFromZero();
              }
            });
  }

  /** The autoscaler starts afresh: the load it saw before an eviction asks for nothing now. */
  private void forgetLoad() {
    if (window != null) {
      window.clear();
    }
    if (policy != null) {
      policy.reset();
    }
  }

  /**
   * A request's {@code keep_alive} (Ollama's): idle replicas above the floor stay loaded this long
   * after it, then unload; zero unloads them as soon as they are idle, a negative duration keeps
   * them for as long as nothing else needs the room.
   */
  public void keepAlive(Duration keepAlive) {
    keepUntilNanos =
        keepAlive.isNegative() ? Long.MAX_VALUE : nanoClock.getAsLong() + keepAlive.toNanos();
    if (keepAlive.isZero()) {
      executor.execute(this::unloadIfKeepAliveOver);
    }
  }

  private void unloadIfKeepAliveOver() {
    long until = keepUntilNanos;
    if (until == Long.MIN_VALUE
        || until == Long.MAX_VALUE
        || nanoClock.getAsLong() < until
        || inFlight() > 0
        || hasQueuedRequests()) {
      return;
    }
    keepUntilNanos = Long.MIN_VALUE;
    List<Replica> spare = new ArrayList<>();
    synchronized (lifecycleLock) {
      int count = spareReplicas();
      for (Replica replica : replicas) {
        if (spare.size() < count && replica.state() == ReplicaState.READY) {
          spare.add(replica);
        }
      }
    }
    if (!spare.isEmpty()) {
      journal.record(
          EngineEvent.Kind.SCALED,
          spec.name(),
          "revision "
              + number
              + " unloads "
              + spare.size()
              + " idle replica(s): keep_alive is over");
    }
    spare.forEach(replica -> evict(replica, "because its keep_alive is over"));
  }

  /**
   * Restarts crashed replicas once their backoff has passed, and health-checks live ones now and
   * then: those whose model lives outside this JVM (worker processes, remote and upstream servers,
   * whatever the hosting).
   */
  private void superviseReplicas() {
    if (!serving || unloading) {
      return;
    }
    long now = nanoClock.getAsLong();
    boolean checkHealth = now - lastHealthCheckNanos >= HEALTH_CHECK_PERIOD.toNanos();
    if (checkHealth) {
      lastHealthCheckNanos = now;
    }
    for (Replica replica : replicas) {
      if (replica.restartDue(now)) {
        executor.execute(
            () -> {
              replica.restart();
              router.readyAgain();
            });
      } else if (checkHealth) {
        executor.execute(() -> replica.checkHealth(HEALTH_CHECK_TIMEOUT));
      }
    }
  }

  /** Tries again to place replicas waiting for room (accelerators, memory). */
  @Override
  public void retryPending() {
    synchronized (lifecycleLock) {
      if (!serving || unloading) {
        return;
      }
      for (Replica replica : replicas) {
        if (replica.state() == ReplicaState.PENDING && place(replica)) {
          startAsync(replica);
        }
      }
    }
  }

  private Replica newReplica() {
    return newReplica(null);
  }

  /**
   * @param server the group member it uses, or null for the spec's endpoint
   */
  private Replica newReplica(URI server) {
    Replica replica =
        new Replica(
                spec.name() + "-r" + number + "-" + replicaNumbers.incrementAndGet(),
                spec,
                runtime,
                remote,
                server)
            .reportingTo(journal);
    if (server != null) {
      // a group's member holds nothing here: its server runs elsewhere, and no retry of PENDING
      // replicas may start it a second time
      replica.placed(io.sluice.engine.placement.Placement.CPU_ONLY);
    }
    replicas.add(replica);
    return replica;
  }

  private void startAsync(Replica replica) {
    executor.execute(
        () -> {
          try {
            replica.start();
          } catch (ModelLoadException e) {
            forget(replica);
            failure = e.getMessage();
            return;
          }
          if (replica.state() != ReplicaState.READY) {
            forget(replica);
            return;
          }
          if (metadata == null) {
            metadata = replica.model().metadata();
          }
          loaded(replica);
          failure = "";
          long woke = wokeAtNanos;
          if (woke
              >= 0) { // recorded before the replica takes the queued requests, whose answers may
            // come at once
            lastColdStartNanos = nanoClock.getAsLong() - woke;
            wokeAtNanos = -1;
            residency.loadedOnDemand(spec.name(), lastColdStartNanos);
            log.info(
                "deployment {} revision {} woke from zero in {} ms (model load {} ms)",
                spec.name(),
                number,
                lastColdStartNanos / 1_000_000,
                replica.loadNanos() / 1_000_000);
          }
          router.add(replica);
        });
  }

  /**
   * Called by the router when a request finds no replica: start one now rather than at the next
   * tick. The router may call it on an event loop, so the work is handed to the executor.
   */
  private void wakeFromZero() {
    executor.execute(this::wake);
  }

  private void wake() {
    synchronized (lifecycleLock) {
      if (!serving || unloading || targetReplicas > 0) {
        return;
      }
      wokeAtNanos = nanoClock.getAsLong();
      if (group().isPresent()) {
        log.info(
            "deployment {} revision {}: a request waits for a server behind {}",
            spec.name(),
            number,
            spec.endpoint());
        return; // its queued requests are the load that makes whoever runs the servers start one
      }
      if (policy != null) {
        policy.reset();
      }
      log.info("deployment {} revision {} scaling from zero on demand", spec.name(), number);
      scaleTo(1);
    }
  }

  /**
   * One autoscaler evaluation: sample the load, decide, apply; also expires requests queued too
   * long.
   */
  public void tick() {
    router.expireWaiters();
    unloadIfKeepAliveOver();
    group().ifPresent(this::followGroup);
    retryPending();
    superviseReplicas();
    if (policy == null || !serving || unloading) {
      return;
    }
    long now = nanoClock.getAsLong();
    Router.Load load = router.load();
    ScalingDecision decision;
    synchronized (lifecycleLock) {
      window.record(now, load.ongoing() + load.queued());
      decision = policy.decide(now, window.average(), targetReplicas);
      lastDecision = decision;
      boolean keptAlive =
          decision.decidedReplicas() < decision.currentReplicas() && keepUntilNanos > now;
      if (decision.changes() && !keptAlive) {
        log.info(
            "deployment {} revision {} autoscaling {} -> {} replicas: {} (ongoing {}, queued {})",
            spec.name(),
            number,
            decision.currentReplicas(),
            decision.decidedReplicas(),
            decision.reason(),
            load.ongoing(),
            load.queued());
        journal.record(
            EngineEvent.Kind.SCALED,
            spec.name(),
            "revision "
                + number
                + " autoscaled "
                + decision.currentReplicas()
                + " -> "
                + decision.decidedReplicas()
                + " replicas: "
                + decision.reason()
                + " (ongoing "
                + load.ongoing()
                + ", queued "
                + load.queued()
                + ")");
        scaleTo(decision.decidedReplicas());
      }
    }
  }
}
