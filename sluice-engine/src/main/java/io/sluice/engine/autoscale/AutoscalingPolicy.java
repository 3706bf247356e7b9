package io.sluice.engine.autoscale;

/**
 * Ray Serve's queue-length policy for one deployment, on an injected clock (no sleeps, no threads):
 *
 * <ul>
 *   <li>At zero replicas any load asks for one replica at once (scale from zero waits for nothing).
 *   <li>Otherwise error = load / replicas / targetOngoingRequests; the proposal is ceil(replicas x
 *       (1 + (error - 1) x smoothing)), with the upscale or downscale smoothing factor, clamped to
 *       [minReplicas, maxReplicas].
 *   <li>A proposal above the current target is applied once proposals have stayed above it for
 *       {@code upscaleDelay}; below it, for {@code downscaleDelay}, or {@code scaleToZeroDelay}
 *       when going from one replica to zero. A proposal equal to the target resets the wait.
 * </ul>
 */
public final class AutoscalingPolicy {
  private final AutoscalingSpec spec;
  private int pendingDirection;
  private long pendingSinceNanos;

  public AutoscalingPolicy(AutoscalingSpec spec) {
    this.spec = spec;
  }

  public ScalingDecision decide(long nowNanos, double averageLoad, int currentReplicas) {
    int proposed = propose(averageLoad, currentReplicas);
    int direction = Integer.compare(proposed, currentReplicas);
    if (direction == 0) {
      pendingDirection = 0;
      return new ScalingDecision(
          nowNanos,
          averageLoad,
          currentReplicas,
          proposed,
          currentReplicas,
          "load matches the target");
    }
    if (currentReplicas == 0) {
      pendingDirection = 0;
      return new ScalingDecision(
          nowNanos, averageLoad, 0, proposed, proposed, "requests arrived while scaled to zero");
    }
    if (direction != pendingDirection) {
      pendingDirection = direction;
      pendingSinceNanos = nowNanos;
    }
    long delay =
        (direction > 0
                ? spec.upscaleDelay()
                : proposed == 0 ? spec.scaleToZeroDelay() : spec.downscaleDelay())
            .toNanos();
    long waited = nowNanos - pendingSinceNanos;
    String verb = direction > 0 ? "upscale" : proposed == 0 ? "scale to zero" : "downscale";
    if (waited >= delay) {
      pendingDirection = 0;
      return new ScalingDecision(
          nowNanos,
          averageLoad,
          currentReplicas,
          proposed,
          proposed,
          verb + " after " + waited / 1_000_000 + " ms of load " + format(averageLoad));
    }
    return new ScalingDecision(
        nowNanos,
        averageLoad,
        currentReplicas,
        proposed,
        currentReplicas,
        verb + " pending: " + waited / 1_000_000 + " of " + delay / 1_000_000 + " ms");
  }

  /**
   * Forgets a pending change, e.g. after the target was set by other means (scale from zero on
   * demand).
   */
  public void reset() {
    pendingDirection = 0;
  }

  int propose(double averageLoad, int currentReplicas) {
    int proposed;
    if (currentReplicas == 0) {
      proposed = averageLoad > 0 ? 1 : 0;
    } else {
      double error = averageLoad / currentReplicas / spec.targetOngoingRequests();
      double smoothing =
          error >= 1 ? spec.upscaleSmoothingFactor() : spec.downscaleSmoothingFactor();
      double smoothed = 1 + (error - 1) * smoothing;
      proposed = (int) Math.ceil(currentReplicas * smoothed - 1e-9);
    }
    return Math.max(spec.minReplicas(), Math.min(spec.maxReplicas(), proposed));
  }

  private static String format(double load) {
    return String.format(java.util.Locale.ROOT, "%.2f", load);
  }
}
