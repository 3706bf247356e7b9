package io.sluice.engine.model;

import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.engine.stats.ModelStatistics;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One deployment's model and its lifecycle: loading, ready, unloading (draining in-flight requests),
 * unavailable, failed with a reason. Requests hold a {@link Lease} for as long as they use the model, so
 * unloading waits for them and closing never races a running inference.
 */
public final class Deployment {
  private static final Logger log = LoggerFactory.getLogger(Deployment.class);

  private final DeploymentSpec spec;
  private final ModelRuntime runtime;
  private final ModelStatistics statistics = new ModelStatistics();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Object lifecycleLock = new Object();

  private volatile ModelState state = ModelState.UNAVAILABLE;
  private volatile String reason = "";
  private volatile LoadedModel model;
  /** Whether the operator wants this model loaded; server readiness counts only these. */
  private volatile boolean wanted;

  public Deployment(DeploymentSpec spec, ModelRuntime runtime) {
    this.spec = spec;
    this.runtime = runtime;
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

  public ModelState state() {
    return state;
  }

  public boolean wanted() {
    return wanted;
  }

  public ModelStatistics statistics() {
    return statistics;
  }

  public ModelStatus status() {
    return new ModelStatus(spec.application(), spec.name(), spec.version(), state, reason);
  }

  public int inFlight() {
    return inFlight.get();
  }

  /** Metadata of the loaded model; only while it is ready. */
  public ModelMetadata metadata() {
    LoadedModel current = model;
    if (state != ModelState.READY || current == null) {
      throw notReady();
    }
    return current.metadata();
  }

  /**
   * Loads the model, blocking until it is ready or has failed. Loading a ready model does nothing.
   *
   * @throws ModelLoadException when the runtime cannot load it; the deployment is then FAILED
   */
  public void load() throws ModelLoadException {
    synchronized (lifecycleLock) {
      wanted = true;
      if (state == ModelState.READY) {
        return;
      }
      state = ModelState.LOADING;
      reason = "";
      long started = System.nanoTime();
      try {
        model = runtime.load(new ModelSource(spec.name(), spec.version(), spec.location(), spec.settings()));
      } catch (ModelLoadException | RuntimeException | LinkageError e) {
        state = ModelState.FAILED;
        reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        log.warn("model {} failed to load: {}", spec.name(), reason);
        if (e instanceof ModelLoadException loadFailure) {
          throw loadFailure;
        }
        throw new ModelLoadException(reason, e);
      }
      state = ModelState.READY;
      log.info("model {} v{} ready ({} runtime, {} ms)", spec.name(), spec.version(), spec.runtime(),
          (System.nanoTime() - started) / 1_000_000);
    }
  }

  /**
   * Stops taking requests, waits for those in flight to finish, then frees the model. Blocks; never
   * call it on an event loop.
   */
  public void unload() {
    synchronized (lifecycleLock) {
      wanted = false;
      if (state != ModelState.READY) {
        if (state == ModelState.FAILED) {
          state = ModelState.UNAVAILABLE;
          reason = "unloaded";
        }
        return;
      }
      state = ModelState.UNLOADING;
      awaitDrained();
      LoadedModel current = model;
      model = null;
      try {
        current.close();
      } catch (RuntimeException e) {
        log.warn("model {} failed to close cleanly: {}", spec.name(), e.toString());
      }
      state = ModelState.UNAVAILABLE;
      reason = "unloaded";
      log.info("model {} unloaded", spec.name());
    }
  }

  /**
   * Takes a lease on the ready model for one request. The lease must be closed when the request is done.
   *
   * @throws ModelNotReadyException when the model is not ready
   */
  public Lease acquire() {
    inFlight.incrementAndGet();
    LoadedModel current = model;
    if (state != ModelState.READY || current == null) {
      release();
      throw notReady();
    }
    return new Lease(current);
  }

  private void release() {
    if (inFlight.decrementAndGet() == 0 && state == ModelState.UNLOADING) {
      synchronized (inFlight) {
        inFlight.notifyAll();
      }
    }
  }

  private void awaitDrained() {
    synchronized (inFlight) {
      while (inFlight.get() > 0) {
        try {
          inFlight.wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private ModelNotReadyException notReady() {
    String why = switch (state) {
      case LOADING -> "is loading";
      case UNLOADING -> "is unloading";
      case UNAVAILABLE -> "is not loaded";
      case FAILED -> "failed to load: " + reason;
      case READY -> "is not ready";
    };
    return new ModelNotReadyException("model '" + spec.name() + "' " + why);
  }

  /** A request's hold on the loaded model; closing it lets an unload proceed. */
  public final class Lease implements AutoCloseable {
    private final LoadedModel model;
    private boolean closed;

    private Lease(LoadedModel model) {
      this.model = model;
    }

    public LoadedModel model() {
      return model;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        release();
      }
    }
  }
}
