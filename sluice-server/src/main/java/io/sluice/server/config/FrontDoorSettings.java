package io.sluice.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** How the HTTP port protects itself: limits, API keys, TLS and per-key rate limits, validated. */
public record FrontDoorSettings(Limits limits, Auth auth, Tls tls, RateLimit keyRateLimit) {

  public static final FrontDoorSettings DEFAULTS =
      new FrontDoorSettings(Limits.DEFAULTS, Auth.OPEN, null, RateLimit.UNLIMITED);

  /** Timeouts and limits of the HTTP port; see {@link SluiceConfig.Limits} for their meaning. */
  public record Limits(
      Duration headerTimeout,
      Duration bodyTimeout,
      Duration idleTimeout,
      int maxConnections,
      int maxConcurrentStreams,
      int maxHeaderSize,
      Duration minPingInterval,
      Duration keepAliveTime,
      Duration keepAliveTimeout) {
    public static final Limits DEFAULTS =
        new Limits(
            Duration.ofSeconds(60),
            Duration.ofSeconds(60),
            Duration.ofSeconds(75),
            10_000,
            100,
            8192,
            Duration.ofSeconds(10),
            Duration.ofSeconds(60),
            Duration.ofSeconds(20));
  }

  /**
   * API keys accepted on every route ({@code apiKeys}, plus those in {@code apiKeysFile} when not
   * null); none at all leaves inference open. With {@code repositoryControlIsAdmin}, the V2
   * repository's load and unload need the admin API's credentials instead of an inference client's.
   */
  public record Auth(
      List<String> apiKeys,
      Path apiKeysFile,
      boolean protectHealth,
      boolean protectMetrics,
      boolean repositoryControlIsAdmin) {
    public static final Auth OPEN = new Auth(List.of(), null, false, false, true);

    public Auth {
      apiKeys = List.copyOf(apiKeys);
    }
  }

  /**
   * PEM files of the server's certificate chain and key, and optionally the CAs of admin client
   * certificates.
   */
  public record Tls(Path certificate, Path key, Path clientCa) {}

  /** A token bucket and a cap on concurrent generations; zero means no limit. */
  public record RateLimit(double requestsPerSecond, int burst, int maxConcurrentGenerations) {
    public static final RateLimit UNLIMITED = new RateLimit(0, 0, 0);

    public boolean limitsRequests() {
      return requestsPerSecond > 0;
    }
  }
}
