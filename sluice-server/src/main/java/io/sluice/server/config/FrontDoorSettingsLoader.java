package io.sluice.server.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Validates the {@code server.limits}, {@code server.auth}, {@code server.tls} and rate-limit
 * sections.
 */
final class FrontDoorSettingsLoader {
  /** Comma-separated API keys from the environment, e.g. from a Kubernetes Secret. */
  static final String API_KEYS_VARIABLE = "SLUICE_API_KEYS";

  private static final int MIN_KEY_LENGTH = 16;

  private FrontDoorSettingsLoader() {}

  static FrontDoorSettings load(SluiceConfig.Server server, Path baseDirectory)
      throws ConfigException {
    return new FrontDoorSettings(
        limits(server.limits()),
        auth(server.auth(), baseDirectory),
        tls(server.tls(), baseDirectory),
        rateLimit("server.rateLimit", server.rateLimit()));
  }

  private static FrontDoorSettings.Limits limits(SluiceConfig.Limits limits)
      throws ConfigException {
    FrontDoorSettings.Limits defaults = FrontDoorSettings.Limits.DEFAULTS;
    if (limits == null) {
      return defaults;
    }
    String at = "server.limits";
    return new FrontDoorSettings.Limits(
        duration(at + ".headerTimeout", limits.headerTimeout(), defaults.headerTimeout()),
        duration(at + ".bodyTimeout", limits.bodyTimeout(), defaults.bodyTimeout()),
        duration(at + ".idleTimeout", limits.idleTimeout(), defaults.idleTimeout()),
        limits.maxConnections() == null
            ? defaults.maxConnections()
            : ConfigValues.positive(at + ".maxConnections", limits.maxConnections()),
        limits.maxConcurrentStreams() == null
            ? defaults.maxConcurrentStreams()
            : ConfigValues.positive(at + ".maxConcurrentStreams", limits.maxConcurrentStreams()),
        limits.maxHeaderSize() == null
            ? defaults.maxHeaderSize()
            : headerSize(at + ".maxHeaderSize", limits.maxHeaderSize()),
        limits.minPingInterval() == null
            ? defaults.minPingInterval()
            : ConfigValues.duration(at + ".minPingInterval", limits.minPingInterval()),
        duration(at + ".keepAliveTime", limits.keepAliveTime(), defaults.keepAliveTime()),
        duration(at + ".keepAliveTimeout", limits.keepAliveTimeout(), defaults.keepAliveTimeout()));
  }

  private static Duration duration(String at, String text, Duration fallback)
      throws ConfigException {
    return text == null ? fallback : ConfigValues.positiveDuration(at, text);
  }

  private static int headerSize(String at, String text) throws ConfigException {
    long size = ConfigValues.parseSize(at, text);
    if (size < 1024 || size > (1 << 20)) {
      throw new ConfigException(at, "must lie between 1Ki and 1Mi, got " + text);
    }
    return (int) size;
  }

  private static FrontDoorSettings.Auth auth(SluiceConfig.Auth auth, Path baseDirectory)
      throws ConfigException {
    List<String> keys =
        new ArrayList<>(apiKeys("server.auth.apiKeys", auth == null ? null : auth.apiKeys()));
    String fromEnvironment = System.getenv(API_KEYS_VARIABLE);
    if (fromEnvironment != null) {
      for (String key : fromEnvironment.split(",")) {
        if (!key.isBlank()) {
          keys.add(checkKey(API_KEYS_VARIABLE, key.strip()));
        }
      }
    }
    if (auth == null) {
      return new FrontDoorSettings.Auth(keys, null, false, false, true);
    }
    Path file = null;
    if (auth.apiKeysFile() != null) {
      file = baseDirectory.resolve(auth.apiKeysFile()).normalize();
      if (!Files.isRegularFile(file)) {
        throw new ConfigException("server.auth.apiKeysFile", "no such file: " + file);
      }
    }
    return new FrontDoorSettings.Auth(
        keys,
        file,
        Boolean.TRUE.equals(auth.protectHealth()),
        Boolean.TRUE.equals(auth.protectMetrics()),
        repositoryControlIsAdmin(auth.repositoryControl()));
  }

  private static boolean repositoryControlIsAdmin(String value) throws ConfigException {
    if (value == null || value.equals("admin")) {
      return true;
    }
    if (value.equals("inference")) {
      return false;
    }
    throw new ConfigException(
        "server.auth.repositoryControl", "must be admin or inference, got '" + value + "'");
  }

  /** Checks configured keys: long enough to resist guessing, and free of whitespace. */
  static List<String> apiKeys(String at, List<String> keys) throws ConfigException {
    if (keys == null) {
      return List.of();
    }
    List<String> checked = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      checked.add(checkKey(at + "[" + i + "]", keys.get(i)));
    }
    return checked;
  }

  private static String checkKey(String at, String key) throws ConfigException {
    if (key == null
        || key.length() < MIN_KEY_LENGTH
        || !key.chars().allMatch(c -> c > 32 && c < 127)) {
      throw new ConfigException(
          at,
          "an API key needs at least "
              + MIN_KEY_LENGTH
              + " printable ASCII characters and no spaces");
    }
    return key;
  }

  private static FrontDoorSettings.Tls tls(SluiceConfig.Tls tls, Path baseDirectory)
      throws ConfigException {
    if (tls == null) {
      return null;
    }
    Path certificate = pemFile("server.tls.certificate", tls.certificate(), baseDirectory);
    Path key = pemFile("server.tls.key", tls.key(), baseDirectory);
    Path clientCa =
        tls.clientCa() == null
            ? null
            : pemFile("server.tls.clientCa", tls.clientCa(), baseDirectory);
    return new FrontDoorSettings.Tls(certificate, key, clientCa);
  }

  private static Path pemFile(String at, String name, Path baseDirectory) throws ConfigException {
    if (name == null) {
      throw new ConfigException(at, "missing; give the path of a PEM file");
    }
    Path file = baseDirectory.resolve(name).normalize();
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(at, "no such file: " + file);
    }
    return file;
  }

  static FrontDoorSettings.RateLimit rateLimit(String at, SluiceConfig.RateLimit limit)
      throws ConfigException {
    if (limit == null) {
      return FrontDoorSettings.RateLimit.UNLIMITED;
    }
    double rate = 0;
    if (limit.requestsPerSecond() != null) {
      rate = limit.requestsPerSecond();
      if (!(rate > 0) || Double.isInfinite(rate)) {
        throw new ConfigException(
            at + ".requestsPerSecond", "must be a positive number, got " + rate);
      }
    }
    int burst =
        limit.burst() == null
            ? (int) Math.max(1, Math.ceil(rate))
            : ConfigValues.positive(at + ".burst", limit.burst());
    int generations =
        limit.maxConcurrentGenerations() == null
            ? 0
            : ConfigValues.positive(
                at + ".maxConcurrentGenerations", limit.maxConcurrentGenerations());
    return new FrontDoorSettings.RateLimit(rate, burst, generations);
  }
}
