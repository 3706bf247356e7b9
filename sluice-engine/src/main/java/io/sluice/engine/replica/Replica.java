package io.sluice.engine.replica;

import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.events.EventJournal;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.placement.Placement;
import io.sluice.engine.transform.TransformedModel;
import io.sluice.engine.worker.WorkerModel;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import io.sluice.spi.SupervisedModel;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded instance of a deployment's model, hosted in this process. It counts its ongoing
 * requests (the router's load signal) and, once draining, stops when the last of them finishes.
 */
public final class Replica {
  private static final Logger log = LoggerFactory.getLogger(Replica.class);

  private final String id;
  private final DeploymentSpec spec;
  private final ModelRuntime runtime;
  private final RemoteConnector remote;
  private final URI server;
  private final AtomicInteger ongoing = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong served =
      new java.util.concurrent.atomic.AtomicLong();

  /** Orders replicas by their last use, across the whole engine (least recently used first). */
  private static final java.util.concurrent.atomic.AtomicLong USES =
      new java.util.concurrent.atomic.AtomicLong();

  private volatile long lastUse;
  private volatile long measuredMemoryBytes = -1;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  /** PENDING until placed: a replica holds no memory or device before its placement. */
  private volatile ReplicaState state = ReplicaState.PENDING;

  private volatile Placement placement = Placement.CPU_ONLY;
  private volatile String reason = "";
  private volatile LoadedModel model;
  private volatile long loadNanos;
  private volatile long readySinceMillis = -1;
  private volatile int crashes;
  private volatile long crashedAtNanos;
  private volatile boolean restartFailed;
  private volatile EventJournal journal = new EventJournal();

  public Replica(String id, DeploymentSpec spec, ModelRuntime runtime) {
    this(id, spec, runtime, RemoteConnector.NONE);
  }

  /**
   * @param remote connects {@code hosting: remote} replicas to their upstream
   */
  public Replica(String id, DeploymentSpec spec, ModelRuntime runtime, RemoteConnector remote) {
    this(id, spec, runtime, remote, null);
  }

  /**
   * @param server the one server of a group endpoint this remote replica uses, or null for the
   *     spec's endpoint
   */
  public Replica(
      String id, DeploymentSpec spec, ModelRuntime runtime, RemoteConnector remote, URI server) {
    this.id = id;
    this.spec = spec;
    this.runtime = runtime;
    this.remote = remote;
    this.server = server;
  }

  /** Where this replica reports starting, failing, crashing and stopping. */
  public Replica reportingTo(EventJournal journal) {
    this.journal = journal;
    return this;
  }

  /** The server this remote replica uses when its deployment's endpoint is a group, else null. */
  public URI server() {
    return server;
  }

  public String id() {
    return id;
  }

  public ReplicaState state() {
    return state;
  }

  public String reason() {
    return reason;
  }

  /** The devices this replica holds (CPU only unless it asked for an accelerator). */
  public Placement placement() {
    return placement;
  }

  /** Marks the replica as waiting for accelerator capacity. */
  public void waitForPlacement(String why) {
    state = ReplicaState.PENDING;
    reason = why;
  }

  /** Records where the replica runs; it moves on to starting. */
  public void placed(Placement where) {
    placement = where;
    reason = "";
    if (state == ReplicaState.PENDING) {
      state = ReplicaState.STARTING;
    }
  }

  public int ongoing() {
    return ongoing.get();
  }

  /** How long loading the model took. */
  public long loadNanos() {
    return loadNanos;
  }

  /** When the replica last became ready (wall clock), or -1 while it never has. */
  public long readySinceMillis() {
    return readySinceMillis;
  }

  /** The loaded model; only while the replica is ready or draining. */
  public LoadedModel model() {
    return model;
  }

  /** The worker process id, when the replica runs in one. */
  public java.util.OptionalLong workerPid() {
    return model instanceof WorkerModel worker
        ? java.util.OptionalLong.of(worker.pid())
        : java.util.OptionalLong.empty();
  }

  /** How many times the worker process died; restarts back off on it. */
  public int crashes() {
    return crashes;
  }

  /**
   * Whether the replica crashed and could not be started again since (its worker exits at once, its
   * upstream stays unreachable): requests should not wait for it.
   */
  public boolean crashLooping() {
    return state == ReplicaState.FAILED && restartFailed;
  }

  /**
   * Whether a crashed worker replica is due for a restart: 1 s after the first crash, doubling up
   * to 30 s.
   */
  public boolean restartDue(long nowNanos) {
    if (state != ReplicaState.FAILED || crashes == 0) {
      return false;
    }
    long backoffNanos = Math.min(30_000_000_000L, 1_000_000_000L << Math.min(crashes - 1, 5));
    return nowNanos - crashedAtNanos >= backoffNanos;
  }

  /**
   * Loads the model, blocking. On failure the replica is FAILED with the reason and the error is
   * thrown.
   */
  public void start() throws ModelLoadException {
    synchronized (this) {
      if (state == ReplicaState.STOPPED) {
        return; // drained before it started (its server left the group meanwhile)
      }
      if (state == ReplicaState.PENDING) {
        state = ReplicaState.STARTING; // started without a placement: a remote group's member
      }
    }
    long started = System.nanoTime();
    try {
      model = load();
    } catch (ModelLoadException | RuntimeException | LinkageError e) {
      reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      state = ReplicaState.FAILED;
      if (crashes == 0) {
        stopped.complete(null);
      } else {
        crashedAtNanos = System.nanoTime(); // a failed restart waits for the next, longer, backoff
        crashes++;
        restartFailed = true;
      }
      log.warn("replica {} failed to start: {}", id, reason);
      journal.record(
          EngineEvent.Kind.REPLICA_FAILED,
          spec.name(),
          "replica " + id + " failed to start: " + reason);
      if (e instanceof ModelLoadException loadFailure) {
        throw loadFailure;
      }
      throw new ModelLoadException(reason, e);
    }
    loadNanos = System.nanoTime() - started;
    measuredMemoryBytes = measure(model);
    synchronized (this) {
      if (state == ReplicaState.DRAINING) {
        close();
        return;
      }
      state = ReplicaState.READY;
      readySinceMillis = System.currentTimeMillis();
      restartFailed = false;
    }
    log.info("replica {} ready ({} runtime, {} ms)", id, spec.runtime(), loadNanos / 1_000_000);
    journal.record(
        crashes > 0 ? EngineEvent.Kind.REPLICA_RESTARTED : EngineEvent.Kind.REPLICA_STARTED,
        spec.name(),
        "replica "
            + id
            + (crashes > 0 ? " restarted" : " ready")
            + " ("
            + spec.runtime()
            + ", loaded in "
            + loadNanos / 1_000_000
            + " ms, "
            + placement.describe()
            + ")");
  }

  private LoadedModel load() throws ModelLoadException {
    if (spec.hosting() == ReplicaHosting.WORKER_PROCESS) {
      return WorkerModel.launch(
          id,
          spec,
          settings(),
          placement.visibilityEnvironment(),
          Duration.ofMinutes(10),
          code -> crashed("worker process exited with code " + code));
    }
    if (spec.multiplex() != null) {
      return io.sluice.engine.multiplex.MultiplexedModel.open(
          spec.name(),
          runtime,
          spec.location(),
          spec.version(),
          settings(),
          spec.multiplex().maxModelsPerReplica());
    }
    if (spec.hosting() == ReplicaHosting.REMOTE) {
      return TransformedModel.wrap(
          remote.connect(id, server == null ? spec : spec.withEndpoint(server)),
          spec.transformer(),
          spec.location());
    }
    return TransformedModel.wrap(
        runtime.load(new ModelSource(spec.name(), spec.version(), spec.location(), settings())),
        spec.transformer(),
        spec.location());
  }

  private long measure(LoadedModel loaded) {
    try {
      return loaded.memoryBytes();
    } catch (RuntimeException e) {
      log.debug("replica {}: could not measure its memory: {}", id, e.toString());
      return -1;
    }
  }

  /** The deployment's settings and the placement's ({@link Placement#runtimeSettings}). */
  private Map<String, String> settings() {
    Map<String, String> settings = new java.util.HashMap<>(placement.runtimeSettings());
    settings.putAll(spec.settings());
    return settings;
  }

  /**
   * The model's host died or stopped answering (worker exit, unreachable upstream): stop routing
   * here (FAILED) until the revision restarts it.
   */
  private synchronized void crashed(String why) {
    if (state == ReplicaState.STOPPED || state == ReplicaState.DRAINING) {
      if (state == ReplicaState.DRAINING && ongoing.get() == 0) {
        close();
      }
      return;
    }
    crashes++;
    crashedAtNanos = System.nanoTime();
    state = ReplicaState.FAILED;
    reason = why + " (crash " + crashes + "); restarting";
    LoadedModel dead = model;
    model = null;
    if (dead instanceof SupervisedModel && !(dead instanceof WorkerModel)) {
      dead.close();
    }
    log.warn("replica {}: {}", id, reason);
    journal.record(EngineEvent.Kind.REPLICA_CRASHED, spec.name(), "replica " + id + ": " + reason);
  }

  /**
   * A request could not reach this replica's server: stop routing here until a restart reconnects
   * (or the revision drops the server).
   */
  public synchronized void unreachable(String why) {
    if (state == ReplicaState.READY) {
      crashed(why);
    }
  }

  /** Starts a crashed worker replica again, blocking; it takes traffic again once READY. */
  public void restart() {
    synchronized (this) {
      if (state != ReplicaState.FAILED) {
        return;
      }
      state = ReplicaState.STARTING;
    }
    try {
      start();
    } catch (ModelLoadException e) {
      log.warn("replica {} did not restart: {}", id, e.getMessage());
    }
  }

  /**
   * Pings a worker or remote replica. A worker that does not answer in time is killed (its exit
   * counts as a crash); an upstream that does not answer counts as a crash at once.
   */
  public void checkHealth(Duration timeout) {
    if (state != ReplicaState.READY
        || !(model instanceof SupervisedModel supervised)
        || supervised.ping(timeout)) {
      return;
    }
    if (supervised instanceof WorkerModel worker) {
      log.warn(
          "replica {}: worker did not answer a health check within {} ms; killing it",
          id,
          timeout.toMillis());
      worker.kill();
    } else {
      crashed(
          "its model failed a health check (gone, or no answer within "
              + timeout.toMillis()
              + " ms)");
    }
  }

  /** Counts a request in; only the router calls it, under its lock, when it picks this replica. */
  public void begin() {
    ongoing.incrementAndGet();
    served.incrementAndGet();
    lastUse = USES.incrementAndGet();
  }

  /** Requests this replica has been given so far. */
  public long served() {
    return served.get();
  }

  /**
   * When it was last given or finished a request, as a position in the engine's order of uses:
   * larger is more recent; 0 for never.
   */
  public long lastUse() {
    return lastUse;
  }

  /**
   * The memory its model was measured to hold once loaded (a worker's resident set, or what the
   * runtime reports), or -1 when nothing measured it.
   */
  public long measuredMemoryBytes() {
    return measuredMemoryBytes;
  }

  /**
   * Counts a request out, and stops a draining replica when it was the last. The router calls it
   * under its lock, so closing (which can wait seconds for a worker process to exit) happens
   * elsewhere.
   */
  public void end() {
    lastUse = USES.incrementAndGet();
    if (ongoing.decrementAndGet() == 0 && state == ReplicaState.DRAINING) {
      CompletableFuture.runAsync(this::close);
    }
  }

  /**
   * Stops taking requests; the returned future completes once the ongoing ones have finished and
   * the model is closed.
   */
  public synchronized CompletableFuture<Void> drain() {
    if (state == ReplicaState.READY) {
      state = ReplicaState.DRAINING;
      if (ongoing.get() == 0) {
        close();
      }
    } else if (state == ReplicaState.STARTING) {
      state = ReplicaState.DRAINING; // start() closes it once loading returns
    } else if (state == ReplicaState.PENDING || state == ReplicaState.FAILED) {
      state = ReplicaState.STOPPED;
      stopped.complete(null);
    }
    return stopped;
  }

  /**
   * Stops now, even with requests in flight: a worker process or a remote connection is closed
   * (their requests fail). An in-process model still running a call is left open, never closed
   * under it (native runtimes would crash the process), and the replica counts as stopped. For
   * shutdown, once the drain has waited long enough.
   */
  public synchronized void stopNow() {
    if (state == ReplicaState.STOPPED) {
      return;
    }
    int running = ongoing.get();
    if (running == 0 || spec.hosting() != ReplicaHosting.IN_PROCESS) {
      if (running > 0) {
        log.warn("replica {} stopped with {} requests still running", id, running);
      }
      close();
      return;
    }
    log.warn(
        "replica {} left with {} requests still running in-process; not closing the model under them",
        id,
        running);
    state = ReplicaState.STOPPED;
    stopped.complete(null);
  }

  private synchronized void close() {
    if (state == ReplicaState.STOPPED) {
      return;
    }
    LoadedModel current = model;
    model = null;
    if (current != null) {
      try {
        current.close();
      } catch (RuntimeException e) {
        log.warn("replica {} did not close cleanly: {}", id, e.toString());
      }
    }
    state = ReplicaState.STOPPED;
    log.info("replica {} stopped", id);
    journal.record(EngineEvent.Kind.REPLICA_STOPPED, spec.name(), "replica " + id + " stopped");
    stopped.complete(null);
  }

  @Override
  public String toString() {
    return id + "[" + state + ", ongoing " + ongoing.get() + "]";
  }
}
