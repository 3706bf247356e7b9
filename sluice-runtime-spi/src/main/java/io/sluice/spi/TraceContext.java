package io.sluice.spi;

import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.net.http.HttpRequest;
import java.util.HashMap;
import java.util.Map;

/**
 * W3C trace context ({@code traceparent}, {@code tracestate}) for the calls a model makes to other
 * processes: the engine makes the request's span current around every model call, and a runtime
 * that talks to a server or a worker passes it on with these, so the trace continues there.
 */
public final class TraceContext {
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

  private TraceContext() {}

  /**
   * Adds the current span's {@code traceparent} (and {@code tracestate}) to an outgoing HTTP
   * request.
   */
  public static HttpRequest.Builder propagate(HttpRequest.Builder request) {
    W3C.inject(Context.current(), request, (builder, key, value) -> builder.header(key, value));
    return request;
  }

  /** The current span's W3C headers, empty when no span is current. */
  public static Map<String, String> headers() {
    Map<String, String> headers = new HashMap<>();
    W3C.inject(Context.current(), headers, Map::put);
    return headers;
  }

  /** The context W3C headers describe (a remote parent), on top of the current one. */
  public static Context extract(Map<String, String> headers) {
    return W3C.extract(
        Context.current(),
        headers,
        new TextMapGetter<Map<String, String>>() {
          @Override
          public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
          }

          @Override
          public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
          }
        });
  }
}
