package io.sluice.server.config;

/**
 * What the server tells its operators beyond {@code /metrics}: the web dashboard, structured access
 * logs and OpenTelemetry traces, validated.
 *
 * @param dashboard whether {@code /dashboard} is served (default true)
 * @param accessLog whether each request is logged as one JSON line on standard output (default
 *     false)
 * @param tracing where and how traces go, or null when tracing is off (the default)
 */
public record ObservabilitySettings(boolean dashboard, boolean accessLog, Tracing tracing) {
  public static final ObservabilitySettings DEFAULTS = new ObservabilitySettings(true, false, null);

  /**
   * @param endpoint the OTLP/HTTP collector, e.g. {@code http://127.0.0.1:4318} ({@code /v1/traces}
   *     is added)
   * @param sampleRatio the share of new traces recorded (0 to 1); a sampled parent's decision is
   *     followed
   * @param serviceName the {@code service.name} resource attribute
   */
  public record Tracing(String endpoint, double sampleRatio, String serviceName) {}
}
