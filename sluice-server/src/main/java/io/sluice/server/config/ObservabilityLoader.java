package io.sluice.server.config;

/** The {@code server.observability} section. */
final class ObservabilityLoader {
  private ObservabilityLoader() {}

  static ObservabilitySettings observability(SluiceConfig.Server server) throws ConfigException {
    ObservabilitySettings.Tracing tracing = null;
    SluiceConfig.Tracing configured = server.tracing();
    if (configured != null) {
      String endpoint =
          configured.endpoint() == null ? "http://127.0.0.1:4318" : configured.endpoint();
      if (!endpoint.matches("https?://[^/\\s]+(/.*)?")) {
        throw new ConfigException(
            "server.tracing.endpoint",
            "'" + endpoint + "' is not an http(s) URL such as http://127.0.0.1:4318");
      }
      double ratio = configured.sampleRatio() == null ? 1.0 : configured.sampleRatio();
      if (!(ratio >= 0 && ratio <= 1)) {
        throw new ConfigException(
            "server.tracing.sampleRatio", "must be between 0 and 1, got " + ratio);
      }
      tracing =
          new ObservabilitySettings.Tracing(
              endpoint.replaceAll("/+$", ""),
              ratio,
              configured.serviceName() == null ? "sluice" : configured.serviceName());
    }
    return new ObservabilitySettings(
        server.dashboard() == null || server.dashboard(),
        Boolean.TRUE.equals(server.accessLog()),
        tracing);
  }
}
