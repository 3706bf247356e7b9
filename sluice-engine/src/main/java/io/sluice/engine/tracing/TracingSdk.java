package io.sluice.engine.tracing;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The OpenTelemetry SDK as Sluice runs it: spans batched to an OTLP/HTTP collector, sampled by
 * trace-id ratio unless the caller's {@code traceparent} already decided, W3C trace context. A
 * worker process is told the same settings through its environment ({@link #workerEnvironment}) so
 * its spans join the request's trace.
 *
 * @param endpoint the collector, e.g. {@code http://127.0.0.1:4318} ({@code /v1/traces} is
 *     appended)
 */
public record TracingSdk(String endpoint, double sampleRatio, String serviceName) {
  static final String ENDPOINT = "SLUICE_TRACING_ENDPOINT";
  static final String RATIO = "SLUICE_TRACING_SAMPLE_RATIO";
  static final String SERVICE = "SLUICE_TRACING_SERVICE";

  /**
   * The settings this process exports spans with, so that the worker processes it starts do too;
   * null when none.
   */
  private static volatile TracingSdk exporting;

  /**
   * An SDK exporting to {@link #endpoint}; worker processes started from now on trace too, until it
   * is closed.
   */
  public OpenTelemetrySdk start() {
    OpenTelemetrySdk sdk =
        start(
            OtlpHttpSpanExporter.builder()
                .setEndpoint(endpoint + "/v1/traces")
                .setTimeout(Duration.ofSeconds(10))
                .build());
    exporting = this;
    return sdk;
  }

  /** Flushes and closes {@code sdk}; workers started afterwards no longer trace. */
  public static void stop(OpenTelemetrySdk sdk) {
    exporting = null;
    sdk.close();
  }

  /**
   * What to add to a new worker process's environment: these settings when this process traces,
   * else nothing.
   */
  public static Map<String, String> environmentForWorkers() {
    TracingSdk current = exporting;
    return current == null ? Map.of() : current.workerEnvironment();
  }

  /** An SDK exporting to {@code exporter} (tests give an in-memory one). */
  public OpenTelemetrySdk start(SpanExporter exporter) {
    SdkTracerProvider traces =
        SdkTracerProvider.builder()
            .setResource(
                Resource.getDefault()
                    .merge(
                        Resource.create(
                            Attributes.of(
                                io.opentelemetry.api.common.AttributeKey.stringKey("service.name"),
                                serviceName))))
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(sampleRatio)))
            .addSpanProcessor(
                BatchSpanProcessor.builder(exporter)
                    .setScheduleDelay(Duration.ofMillis(500))
                    .build())
            .build();
    return OpenTelemetrySdk.builder()
        .setTracerProvider(traces)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
  }

  /**
   * The variables that give a worker process these settings (its service name gets {@code
   * -worker}).
   */
  public Map<String, String> workerEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put(ENDPOINT, endpoint);
    env.put(RATIO, Double.toString(sampleRatio));
    env.put(SERVICE, serviceName + "-worker");
    return env;
  }

  /** The settings a worker was started with, or null when its parent does not trace. */
  public static TracingSdk fromEnvironment(Map<String, String> env) {
    String endpoint = env.get(ENDPOINT);
    if (endpoint == null || endpoint.isBlank()) {
      return null;
    }
    return new TracingSdk(
        endpoint,
        Double.parseDouble(env.getOrDefault(RATIO, "1")),
        env.getOrDefault(SERVICE, "sluice-worker"));
  }
}
