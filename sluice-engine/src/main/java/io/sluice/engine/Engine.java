package io.sluice.engine;

import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.model.ModelState;
import io.sluice.engine.model.ModelStatus;
import io.sluice.spi.ModelLoadException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's front: protocol adapters hand it protocol-neutral requests and get futures back. It never
 * runs model work on the caller's thread; every inference, load and unload runs on {@code modelExecutor}.
 *
 * <p>An inference goes through these stages in order: resolve the deployment (404 when unknown), lease
 * its ready model (503 when not ready), validate inputs and outputs against its metadata (400), run it on
 * the executor, keep the requested outputs. Failures complete the future with a {@link SluiceException}
 * naming the cause; anything else a runtime throws becomes an {@link InferenceFailedException}.
 */
public final class Engine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final ModelRegistry registry;
  private final ExecutorService modelExecutor;
  private volatile boolean closing;

  public Engine(ModelRegistry registry, ExecutorService modelExecutor) {
    this.registry = registry;
    this.modelExecutor = modelExecutor;
  }

  public ModelRegistry registry() {
    return registry;
  }

  /** Runs an inference. The future fails with a {@link SluiceException} subclass naming the cause. */
  public CompletableFuture<InferResponse> infer(InferRequest request) {
    long accepted = System.nanoTime();
    Deployment deployment;
    Deployment.Lease lease;
    try {
      deployment = registry.resolve(request.modelName(), request.modelVersion());
      lease = deployment.acquire();
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<InferResponse> result = new CompletableFuture<>();
    try {
      modelExecutor.execute(() -> run(deployment, lease, request, accepted, result));
    } catch (RejectedExecutionException e) {
      lease.close();
      result.completeExceptionally(new ModelNotReadyException("server is shutting down"));
    }
    return result;
  }

  private void run(
      Deployment deployment, Deployment.Lease lease, InferRequest request, long accepted,
      CompletableFuture<InferResponse> result) {
    long started = System.nanoTime();
    try (lease) {
      ModelMetadata metadata = lease.model().metadata();
      InputValidator.validateInputs(metadata, request.inputs());
      List<String> outputNames = InputValidator.outputNames(metadata, request.requestedOutputs());
      long inferStart = System.nanoTime();
      List<Tensor> outputs = lease.model().infer(request.inputs(), outputNames);
      long inferEnd = System.nanoTime();
      InferResponse response = new InferResponse(deployment.name(), deployment.version(), request.id(), outputs);
      long done = System.nanoTime();
      deployment.statistics().recordSuccess(
          started - accepted, inferStart - started, inferEnd - inferStart, done - inferEnd, done - accepted);
      result.complete(response);
    } catch (SluiceException e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      result.completeExceptionally(e);
    } catch (RuntimeException | Error e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      log.warn("model {} failed on request {}", deployment.name(), request.id(), e);
      result.completeExceptionally(new InferenceFailedException(
          "model '" + deployment.name() + "' failed: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e));
    }
  }

  /** The model's metadata; fails with not-found or not-ready. */
  public ModelMetadata metadata(String name, String version) {
    return registry.resolve(name, version).metadata();
  }

  /** Whether the model is ready; throws {@link io.sluice.api.ModelNotFoundException} when unknown. */
  public boolean isModelReady(String name, String version) {
    return registry.resolve(name, version).state() == ModelState.READY;
  }

  /** Live: the engine is up and not shutting down. */
  public boolean isLive() {
    return !closing;
  }

  /** Ready: live, and every model that should be loaded is ready. */
  public boolean isReady() {
    if (closing) {
      return false;
    }
    for (Deployment deployment : registry.all()) {
      if (deployment.wanted() && deployment.state() != ModelState.READY) {
        return false;
      }
    }
    return true;
  }

  public List<ModelStatus> index() {
    return registry.index();
  }

  /** Loads a known model on the executor; the future fails with the load error's message. */
  public CompletableFuture<Void> load(String name) {
    Deployment deployment;
    try {
      deployment = registry.resolve(name, null);
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.runAsync(() -> {
      try {
        deployment.load();
      } catch (ModelLoadException e) {
        throw new CompletionException(new InferenceFailedException("failed to load model '" + name + "': " + e.getMessage(), e));
      }
    }, modelExecutor);
  }

  /** Unloads a known model once its in-flight requests have finished. */
  public CompletableFuture<Void> unload(String name) {
    Deployment deployment;
    try {
      deployment = registry.resolve(name, null);
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.runAsync(deployment::unload, modelExecutor);
  }

  /** Loads every deployment in order, blocking; the first failure is thrown with the model's name. */
  public void loadAll() throws ModelLoadException {
    for (Deployment deployment : registry.all()) {
      deployment.load();
    }
  }

  /** Stops taking requests, drains every model, closes them, then stops the executor. */
  @Override
  public void close() {
    closing = true;
    for (Deployment deployment : registry.all()) {
      deployment.unload();
    }
    modelExecutor.shutdown();
    try {
      if (!modelExecutor.awaitTermination(10, TimeUnit.SECONDS)) {
        modelExecutor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
