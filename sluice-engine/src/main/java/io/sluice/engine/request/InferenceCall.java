package io.sluice.engine.request;

import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ReplicaUnavailableException;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.engine.batching.Batcher;
import io.sluice.engine.batching.BatchingSpec;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.multiplex.MultiplexedModel;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.revision.Revision;
import io.sluice.engine.routing.Router;
import io.sluice.spi.LoadedModel;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An inference on the replica it holds, on a model thread: inputs validated against the model's
 * metadata, joined into a batch where the deployment batches, the model called, statistics
 * recorded, the lease given back and the result completed, with one error per cause.
 */
public final class InferenceCall {
  private static final Logger log = LoggerFactory.getLogger(InferenceCall.class);

  private final ScheduledExecutorService timers;
  private final ExecutorService modelExecutor;

  /** Batchers by replica; weak keys let stopped replicas' batchers go with them. */
  private final Map<Replica, Batcher> batchers = Collections.synchronizedMap(new WeakHashMap<>());

  public InferenceCall(ScheduledExecutorService timers, ExecutorService modelExecutor) {
    this.timers = timers;
    this.modelExecutor = modelExecutor;
  }

  /**
   * Runs {@code request} on the leased replica; {@code accepted} is when the engine took the
   * request.
   */
  public void run(
      Deployment deployment,
      Revision revision,
      Router.Lease lease,
      InferRequest request,
      long accepted,
      CompletableFuture<InferResponse> result) {
    long started = System.nanoTime();
    boolean handedOff = false;
    try {
      if (result.isDone()) {
        return; // timed out or cancelled while queued
      }
      LoadedModel model = loadedModel(lease, deployment);
      ModelMetadata metadata = model.metadata();
      InputValidator.validateInputs(metadata, request.inputs());
      List<String> outputNames = InputValidator.outputNames(metadata, request.requestedOutputs());
      long inferStart = System.nanoTime();
      BiConsumer<List<Tensor>, Throwable> done =
          (outputs, error) ->
              finish(
                  deployment,
                  revision,
                  lease,
                  request,
                  accepted,
                  started,
                  inferStart,
                  outputs,
                  error,
                  result);
      Batcher batcher = batcher(deployment, revision, lease.replica());
      handedOff = true;
      if (batcher != null) {
        batcher.submit(request.inputs(), outputNames).whenComplete(done);
        return;
      }
      List<Tensor> outputs = null;
      Throwable error = null;
      try {
        outputs =
            model instanceof MultiplexedModel multiplexed && request.version().isPresent()
                ? multiplexed.infer(request.modelVersion(), request.inputs(), outputNames)
                : model.infer(request.inputs(), outputNames);
        deployment.statistics().recordExecution(1);
      } catch (RuntimeException | Error e) {
        error = e;
      }
      done.accept(outputs, error);
    } catch (SluiceException e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      result.completeExceptionally(e);
    } finally {
      if (!handedOff) {
        lease.close();
      }
    }
  }

  /**
   * The leased replica's model; 503 while its worker died and it restarts, so the replica has none.
   */
  public static LoadedModel loadedModel(Router.Lease lease, Deployment deployment) {
    LoadedModel model = lease.replica().model();
    if (model == null) {
      throw new ReplicaUnavailableException(
          "replica "
              + lease.replica().id()
              + " of '"
              + deployment.name()
              + "' lost its model (its worker died, or its server went away) and is restarting",
          null);
    }
    return model;
  }

  /** Completes a request whose model call has returned; frees its replica slot. */
  private static void finish(
      Deployment deployment,
      Revision revision,
      Router.Lease lease,
      InferRequest request,
      long accepted,
      long started,
      long inferStart,
      List<Tensor> outputs,
      Throwable error,
      CompletableFuture<InferResponse> result) {
    try (lease) {
      long inferEnd = System.nanoTime();
      if (error instanceof ReplicaUnavailableException unavailable) {
        lease.replica().unreachable(unavailable.getMessage());
      }
      if (error instanceof SluiceException known) {
        deployment.statistics().recordFailure(inferEnd - accepted);
        result.completeExceptionally(known);
      } else if (error != null) {
        deployment.statistics().recordFailure(inferEnd - accepted);
        log.warn("model {} failed on request {}", deployment.name(), request.id(), error);
        result.completeExceptionally(
            new InferenceFailedException(
                "model '"
                    + deployment.name()
                    + "' failed: "
                    + (error.getMessage() == null
                        ? error.getClass().getSimpleName()
                        : error.getMessage()),
                error));
      } else {
        InferResponse response;
        try {
          response =
              new InferResponse(
                  deployment.name(),
                  revision.spec().version(),
                  request.id(),
                  outputs,
                  revision.number());
        } catch (
            RuntimeException
                e) { // a runtime broke its contract (a null output): fail, never leave the caller
          // waiting
          deployment.statistics().recordFailure(inferEnd - accepted);
          log.warn(
              "model {} returned an unusable answer to request {}",
              deployment.name(),
              request.id(),
              e);
          result.completeExceptionally(
              new InferenceFailedException(
                  "model '" + deployment.name() + "' returned an unusable answer", e));
          return;
        }
        long done = System.nanoTime();
        deployment
            .statistics()
            .recordSuccess(
                started - accepted,
                inferStart - started,
                inferEnd - inferStart,
                done - inferEnd,
                done - accepted);
        result.complete(response);
      }
    }
  }

  /** The replica's batcher when its deployment batches, created on first use; null otherwise. */
  private Batcher batcher(Deployment deployment, Revision revision, Replica replica) {
    BatchingSpec spec = revision.spec().scaling().batching();
    if (spec == null) {
      return null;
    }
    return batchers.computeIfAbsent(
        replica,
        r ->
            new Batcher(
                r::model,
                spec,
                timers,
                modelExecutor,
                rows -> deployment.statistics().recordExecution(rows)));
  }
}
