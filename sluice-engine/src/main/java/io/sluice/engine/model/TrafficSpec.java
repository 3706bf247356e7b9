package io.sluice.engine.model;

/**
 * How a deployment splits traffic between its revisions.
 *
 * @param canaryTrafficPercent the share (0-100) the latest revision gets while the previous one
 *     keeps the rest; null means blue-green: the latest takes all traffic once it is ready, and the
 *     previous drains
 * @param shadow requests to mirror, or null
 */
public record TrafficSpec(Integer canaryTrafficPercent, ShadowSpec shadow) {
  public static final TrafficSpec DEFAULT = new TrafficSpec(null, null);

  public TrafficSpec {
    if (canaryTrafficPercent != null && (canaryTrafficPercent < 0 || canaryTrafficPercent > 100)) {
      throw new IllegalArgumentException("canaryTrafficPercent must lie between 0 and 100");
    }
  }

  /**
   * Mirrors {@code percent}% of requests, asynchronously, to another deployment or to this
   * deployment's latest revision (a dark launch); the mirror's answers are discarded, its metrics
   * kept.
   *
   * @param deployment the deployment to mirror to, or null to mirror to this one's latest revision
   */
  public record ShadowSpec(String deployment, double percent) {
    public ShadowSpec {
      if (percent < 0 || percent > 100) {
        throw new IllegalArgumentException("shadow percent must lie between 0 and 100");
      }
    }
  }
}
