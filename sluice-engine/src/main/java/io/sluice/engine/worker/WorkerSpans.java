package io.sluice.engine.worker;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.sluice.engine.tracing.RequestSpans;
import io.sluice.engine.tracing.TracingSdk;
import io.sluice.spi.TraceContext;
import java.util.Map;

/**
 * A worker process's spans: one per model call, under the trace context its parent sent with the
 * request.
 */
final class WorkerSpans implements AutoCloseable {
  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;

  private WorkerSpans(OpenTelemetrySdk sdk) {
    this.sdk = sdk;
    this.tracer = sdk == null ? null : sdk.getTracer(RequestSpans.INSTRUMENTATION);
  }

  static WorkerSpans fromEnvironment(Map<String, String> env) {
    TracingSdk settings = TracingSdk.fromEnvironment(env);
    return new WorkerSpans(settings == null ? null : settings.start());
  }

  /**
   * A span of one call, current until closed; nothing when the parent does not trace or sent no
   * context.
   */
  Open open(String name, Map<String, String> traceHeaders) {
    if (tracer == null || traceHeaders.isEmpty()) {
      return Open.NONE;
    }
    Span span = tracer.spanBuilder(name).setParent(TraceContext.extract(traceHeaders)).startSpan();
    Scope scope = span.makeCurrent();
    return () -> {
      scope.close();
      span.end();
    };
  }

  /** An open span: closing it ends it. */
  interface Open extends AutoCloseable {
    Open NONE = () -> {};

    @Override
    void close();
  }

  @Override
  public void close() {
    if (sdk != null) {
      sdk.close();
    }
  }
}
