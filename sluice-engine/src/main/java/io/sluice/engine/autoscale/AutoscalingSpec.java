package io.sluice.engine.autoscale;

import java.time.Duration;

/**
 * A deployment's autoscaling settings, with Ray Serve's names, meanings and defaults: desired
 * replicas = ceil(average ongoing+queued requests over {@code lookBackPeriod} / {@code
 * targetOngoingRequests}), smoothed, clamped to [min, max], applied once the same direction has
 * held for {@code upscaleDelay} or {@code downscaleDelay} ({@code scaleToZeroDelay} for the last
 * replica).
 */
public record AutoscalingSpec(
    int minReplicas,
    int maxReplicas,
    int initialReplicas,
    double targetOngoingRequests,
    Duration upscaleDelay,
    Duration downscaleDelay,
    Duration scaleToZeroDelay,
    Duration lookBackPeriod,
    double upscaleSmoothingFactor,
    double downscaleSmoothingFactor) {

  public static final int DEFAULT_MIN_REPLICAS = 1;
  public static final int DEFAULT_MAX_REPLICAS = 1;
  public static final double DEFAULT_TARGET_ONGOING_REQUESTS = 2;
  public static final Duration DEFAULT_UPSCALE_DELAY = Duration.ofSeconds(30);
  public static final Duration DEFAULT_DOWNSCALE_DELAY = Duration.ofSeconds(600);
  public static final Duration DEFAULT_LOOK_BACK_PERIOD = Duration.ofSeconds(30);
  public static final double DEFAULT_SMOOTHING_FACTOR = 1.0;

  public AutoscalingSpec {
    if (minReplicas < 0 || maxReplicas < Math.max(1, minReplicas)) {
      throw new IllegalArgumentException(
          "need 0 <= minReplicas <= maxReplicas and maxReplicas >= 1");
    }
    if (initialReplicas < minReplicas || initialReplicas > maxReplicas) {
      throw new IllegalArgumentException(
          "initialReplicas must lie between minReplicas and maxReplicas");
    }
    if (targetOngoingRequests <= 0
        || upscaleSmoothingFactor <= 0
        || downscaleSmoothingFactor <= 0) {
      throw new IllegalArgumentException(
          "targetOngoingRequests and smoothing factors must be positive");
    }
  }
}
