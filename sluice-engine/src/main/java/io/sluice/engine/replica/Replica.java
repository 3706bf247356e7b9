package io.sluice.engine.replica;

import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.placement.Placement;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded instance of a deployment's model, hosted in this process. It counts its ongoing requests
 * (the router's load signal) and, once draining, stops when the last of them finishes.
 */
public final class Replica {
  private static final Logger log = LoggerFactory.getLogger(Replica.class);

  private final String id;
  private final DeploymentSpec spec;
  private final ModelRuntime runtime;
  private final AtomicInteger ongoing = new AtomicInteger();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  private volatile ReplicaState state = ReplicaState.STARTING;
  private volatile Placement placement = Placement.CPU_ONLY;
  private volatile String reason = "";
  private volatile LoadedModel model;
  private volatile long loadNanos;

  public Replica(String id, DeploymentSpec spec, ModelRuntime runtime) {
    this.id = id;
    this.spec = spec;
    this.runtime = runtime;
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

  /** The loaded model; only while the replica is ready or draining. */
  public LoadedModel model() {
    return model;
  }

  /** Loads the model, blocking. On failure the replica is FAILED with the reason and the error is thrown. */
  public void start() throws ModelLoadException {
    long started = System.nanoTime();
    try {
      model = runtime.load(new ModelSource(spec.name(), spec.version(), spec.location(), spec.settings()));
    } catch (ModelLoadException | RuntimeException | LinkageError e) {
      reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      state = ReplicaState.FAILED;
      stopped.complete(null);
      log.warn("replica {} failed to start: {}", id, reason);
      if (e instanceof ModelLoadException loadFailure) {
        throw loadFailure;
      }
      throw new ModelLoadException(reason, e);
    }
    loadNanos = System.nanoTime() - started;
    synchronized (this) {
      if (state == ReplicaState.DRAINING) {
        close();
        return;
      }
      state = ReplicaState.READY;
    }
    log.info("replica {} ready ({} runtime, {} ms)", id, spec.runtime(), loadNanos / 1_000_000);
  }

  /** Counts a request in; only the router calls it, under its lock, when it picks this replica. */
  public void begin() {
    ongoing.incrementAndGet();
  }

  /** Counts a request out, and stops a draining replica when it was the last. */
  public void end() {
    if (ongoing.decrementAndGet() == 0 && state == ReplicaState.DRAINING) {
      close();
    }
  }

  /**
   * Stops taking requests; the returned future completes once the ongoing ones have finished and the
   * model is closed.
   */
  public synchronized CompletableFuture<Void> drain() {
    if (state == ReplicaState.READY) {
      state = ReplicaState.DRAINING;
      if (ongoing.get() == 0) {
        close();
      }
    } else if (state == ReplicaState.STARTING) {
      state = ReplicaState.DRAINING; // start() closes it once loading returns
    } else if (state == ReplicaState.PENDING) {
      state = ReplicaState.STOPPED;
      stopped.complete(null);
    }
    return stopped;
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
    stopped.complete(null);
  }

  @Override
  public String toString() {
    return id + "[" + state + ", ongoing " + ongoing.get() + "]";
  }
}
