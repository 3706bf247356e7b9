package io.sluice.engine.request;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.RequestTimeoutException;
import io.sluice.engine.revision.Revision;
import io.sluice.engine.routing.Router;
import io.sluice.engine.tracing.RequestSpans;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What every request goes through before and around its model work: a lease on a replica from its
 * revision's router (at once, after a wait in the bounded queue, or a failure), the work handed to
 * an executor, the revision's request timeout, its spans, and giving up the queue place when the
 * request ends early (timed out, cancelled). A revision retired between selection and lease refuses
 * it; the request then goes once to the revision its target would pick now.
 */
public final class Admission {
  private final ScheduledExecutorService timers;
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer(RequestSpans.INSTRUMENTATION);
  private volatile boolean tracing;

  /**
   * @param timers runs the request timeouts
   */
  public Admission(ScheduledExecutorService timers) {
    this.timers = timers;
  }

  /** Records spans with {@code telemetry} from now on. */
  public void traceWith(OpenTelemetry telemetry) {
    this.tracer = telemetry.getTracer(RequestSpans.INSTRUMENTATION);
    this.tracing = true;
  }

  public Tracer tracer() {
    return tracer;
  }

  /** What runs once a request holds a replica: it must close the lease and complete the result. */
  @FunctionalInterface
  public interface LeasedWork<T> {
    void run(Revision revision, Router.Lease lease, CompletableFuture<T> result);
  }

  /**
   * Runs {@code work} on {@code executor} once {@code target}'s revision grants a lease; {@code
   * operation} names its span.
   */
  public <T> CompletableFuture<T> admit(
      String operation, Target target, ExecutorService executor, LeasedWork<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    AtomicReference<CompletableFuture<Router.Lease>> pending = new AtomicReference<>();
    LeasedWork<T> leasedWork = work;
    if (tracing) { // untraced, requests skip the spans' bookkeeping altogether
      RequestSpans spans = RequestSpans.queued(tracer, operation, target.deployment().name());
      result.whenComplete((answer, error) -> spans.ended(error));
      leasedWork =
          (leasedRevision, lease, answer) -> {
            try (Scope scope = spans.working(leasedRevision.number(), lease.replica().id())) {
              work.run(leasedRevision, lease, answer);
            }
          };
    }
    acquire(target, true, executor, leasedWork, result, pending);
    Duration timeout = target.revision().spec().scaling().requestTimeout();
    if (timeout != null && !result.isDone()) {
      ScheduledFuture<?> timer =
          timers.schedule(
              () ->
                  result.completeExceptionally(
                      new RequestTimeoutException(
                          "model '"
                              + target.deployment().name()
                              + "' did not answer within "
                              + timeout.toMillis()
                              + " ms")),
              timeout.toNanos(),
              TimeUnit.NANOSECONDS);
      result.whenComplete((response, error) -> timer.cancel(false));
    }
    result.whenComplete(
        (response, error) -> {
          CompletableFuture<Router.Lease> lease = pending.get();
          if (error != null && !lease.isDone()) {
            lease.cancel(false);
          }
        });
    return result;
  }

  private <T> void acquire(
      Target target,
      boolean mayMove,
      ExecutorService executor,
      LeasedWork<T> work,
      CompletableFuture<T> result,
      AtomicReference<CompletableFuture<Router.Lease>> pending) {
    Revision revision = target.revision();
    CompletableFuture<Router.Lease> lease = revision.acquire(target.multiplexed());
    pending.set(lease);
    if (result.isDone()) {
      lease.cancel(false); // ended (timed out, cancelled) while moving to another revision
    }
    lease.whenComplete(
        (granted, error) -> {
          if (error != null) {
            Throwable cause =
                error instanceof CompletionException && error.getCause() != null
                    ? error.getCause()
                    : error;
            Revision current =
                cause instanceof ModelNotReadyException && mayMove ? target.current() : null;
            if (current != null && current != revision && !result.isDone()) {
              acquire(target.on(current), false, executor, work, result, pending);
            } else {
              result.completeExceptionally(cause);
            }
            return;
          }
          if (result.isDone()) {
            granted.close();
            return;
          }
          try {
            executor.execute(() -> work.run(revision, granted, result));
          } catch (RejectedExecutionException e) {
            granted.close();
            result.completeExceptionally(new ModelNotReadyException("server is shutting down"));
          }
        });
  }
}
