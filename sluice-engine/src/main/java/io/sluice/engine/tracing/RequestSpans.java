package io.sluice.engine.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.concurrent.CancellationException;

/**
 * One request's spans in the engine: {@code queue} while it waits for a replica, then its model
 * work ({@code inference}, {@code generation}, ...) with the revision and replica that ran it. Both
 * are children of the span current where the request was submitted (the protocol's server span),
 * and the work span is current while the model runs, so runtimes that call other processes pass the
 * trace on.
 */
public final class RequestSpans {
  public static final String INSTRUMENTATION = "io.sluice.engine";
  public static final AttributeKey<String> DEPLOYMENT = AttributeKey.stringKey("sluice.deployment");
  public static final AttributeKey<Long> REVISION = AttributeKey.longKey("sluice.revision");
  public static final AttributeKey<String> REPLICA = AttributeKey.stringKey("sluice.replica");

  private final Tracer tracer;
  private final Context parent;
  private final String operation;
  private final String deployment;
  private Span queue;
  private Span work;
  private boolean ended;

  private RequestSpans(Tracer tracer, Context parent, String operation, String deployment) {
    this.tracer = tracer;
    this.parent = parent;
    this.operation = operation;
    this.deployment = deployment;
    this.queue =
        tracer
            .spanBuilder("queue")
            .setParent(parent)
            .setAttribute(DEPLOYMENT, deployment)
            .startSpan();
  }

  /** Starts the {@code queue} span of a request submitted now, under the current span. */
  public static RequestSpans queued(Tracer tracer, String operation, String deployment) {
    return new RequestSpans(tracer, Context.current(), operation, deployment);
  }

  /**
   * The request holds a replica: the queue span ends, the work span starts and is current until the
   * scope closes.
   */
  public synchronized Scope working(int revision, String replica) {
    if (ended) {
      return Scope.noop();
    }
    queue.end();
    queue = null;
    work =
        tracer
            .spanBuilder(operation)
            .setParent(parent)
            .setAttribute(DEPLOYMENT, deployment)
            .setAttribute(REVISION, (long) revision)
            .setAttribute(REPLICA, replica)
            .startSpan();
    return work.makeCurrent();
  }

  /** The request is answered (or failed, timed out, was cancelled): whichever span is open ends. */
  public synchronized void ended(Throwable error) {
    if (ended) {
      return;
    }
    ended = true;
    Span open = work != null ? work : queue;
    if (error != null && !(error instanceof CancellationException)) {
      open.setStatus(
          StatusCode.ERROR,
          error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage());
      open.recordException(error);
    }
    open.end();
  }
}
