package io.sluice.engine.request;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.ReplicaUnavailableException;
import io.sluice.engine.revision.Revision;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends an inference to its target, admitted and run as an {@link InferenceCall}. A replica that
 * could not run it (its server unreachable, its worker gone) sends it to another (the unreachable
 * one stops taking requests), up to {@link #MAX_ATTEMPTS} tries in all; each try stays in the
 * request's trace.
 */
public final class Retries {
  private static final Logger log = LoggerFactory.getLogger(Retries.class);
  static final int MAX_ATTEMPTS = 3;

  private final Admission admission;
  private final InferenceCall call;
  private final ExecutorService modelExecutor;

  public Retries(Admission admission, InferenceCall call, ExecutorService modelExecutor) {
    this.admission = admission;
    this.call = call;
    this.modelExecutor = modelExecutor;
  }

  public CompletableFuture<InferResponse> dispatch(Target target, InferRequest request) {
    CompletableFuture<InferResponse> result = new CompletableFuture<>();
    attempt(target, request, 1, result, Context.current());
    return result;
  }

  private void attempt(
      Target target,
      InferRequest request,
      int number,
      CompletableFuture<InferResponse> result,
      Context trace) {
    long accepted = System.nanoTime();
    CompletableFuture<InferResponse> tried;
    try (Scope scope =
        trace.makeCurrent()) { // a retry runs on another thread: its spans stay in the request's
      // trace
      tried =
          admission.admit(
              "inference",
              target,
              modelExecutor,
              (leased, lease, answer) ->
                  call.run(target.deployment(), leased, lease, request, accepted, answer));
    }
    result.whenComplete((response, error) -> tried.cancel(false));
    tried.whenComplete(
        (response, error) -> {
          Throwable cause =
              error instanceof CompletionException && error.getCause() != null
                  ? error.getCause()
                  : error;
          if (cause instanceof ReplicaUnavailableException
              && number < MAX_ATTEMPTS
              && !result.isDone()) {
            log.info(
                "request {} to {}: {}; trying another replica",
                request.id(),
                target.deployment().name(),
                cause.getMessage());
            Revision again = target.reselect() == null ? null : target.current();
            attempt(again == null ? target : target.on(again), request, number + 1, result, trace);
          } else if (cause != null) {
            result.completeExceptionally(cause);
          } else {
            result.complete(response);
          }
        });
  }
}
