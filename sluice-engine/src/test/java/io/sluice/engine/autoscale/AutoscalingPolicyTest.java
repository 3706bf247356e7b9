package io.sluice.engine.autoscale;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Ray Serve's policy on a hand-driven clock: no sleeps, no threads. */
class AutoscalingPolicyTest {
  private static final long SECOND = 1_000_000_000L;

  private static AutoscalingSpec spec(
      int min, int max, double target, double upSmoothing, double downSmoothing) {
    return new AutoscalingSpec(
        min,
        max,
        min,
        target,
        Duration.ofSeconds(30),
        Duration.ofSeconds(600),
        Duration.ofSeconds(900),
        Duration.ofSeconds(30),
        upSmoothing,
        downSmoothing);
  }

  @Test
  void upscalesOnlyAfterTheLoadHasAskedForItForTheWholeUpscaleDelay() {
    AutoscalingPolicy policy = new AutoscalingPolicy(spec(1, 10, 2, 1, 1));
    ScalingDecision first = policy.decide(0, 10, 1);
    assertThat(first.proposedReplicas()).isEqualTo(5);
    assertThat(first.decidedReplicas()).isEqualTo(1);
    assertThat(policy.decide(29 * SECOND, 10, 1).decidedReplicas()).isEqualTo(1);
    ScalingDecision applied = policy.decide(30 * SECOND, 10, 1);
    assertThat(applied.decidedReplicas()).isEqualTo(5);
    assertThat(applied.changes()).isTrue();
    assertThat(applied.reason()).startsWith("upscale after 30000 ms");
  }

  @Test
  void aQuietTickResetsThePendingUpscale() {
    AutoscalingPolicy policy = new AutoscalingPolicy(spec(1, 10, 2, 1, 1));
    policy.decide(0, 10, 1);
    policy.decide(20 * SECOND, 2, 1);
    assertThat(policy.decide(30 * SECOND, 10, 1).decidedReplicas()).isEqualTo(1);
    assertThat(policy.decide(60 * SECOND, 10, 1).decidedReplicas()).isEqualTo(5);
  }

  @Test
  void proposalsAreClampedToTheReplicaBounds() {
    AutoscalingPolicy policy = new AutoscalingPolicy(spec(2, 4, 1, 1, 1));
    assertThat(policy.decide(0, 100, 2).proposedReplicas()).isEqualTo(4);
    assertThat(policy.decide(0, 0, 3).proposedReplicas()).isEqualTo(2);
  }

  @Test
  void downscalesAfterTheDownscaleDelayAndToZeroAfterTheScaleToZeroDelay() {
    AutoscalingPolicy policy = new AutoscalingPolicy(spec(0, 4, 2, 1, 1));
    assertThat(policy.decide(0, 2, 3).proposedReplicas()).isEqualTo(1);
    assertThat(policy.decide(599 * SECOND, 2, 3).decidedReplicas()).isEqualTo(3);
    assertThat(policy.decide(600 * SECOND, 2, 3).decidedReplicas()).isEqualTo(1);
    assertThat(policy.decide(601 * SECOND, 0, 1).decidedReplicas()).isEqualTo(1);
    assertThat(policy.decide(1500 * SECOND, 0, 1).decidedReplicas()).isEqualTo(1);
    ScalingDecision zero = policy.decide(1501 * SECOND, 0, 1);
    assertThat(zero.decidedReplicas()).isZero();
    assertThat(zero.reason()).startsWith("scale to zero after");
  }

  @Test
  void anyLoadAtZeroReplicasAsksForOneAtOnce() {
    AutoscalingPolicy policy = new AutoscalingPolicy(spec(0, 4, 2, 1, 1));
    assertThat(policy.decide(0, 0, 0).decidedReplicas()).isZero();
    ScalingDecision wake = policy.decide(1, 0.1, 0);
    assertThat(wake.decidedReplicas()).isEqualTo(1);
    assertThat(wake.reason()).isEqualTo("requests arrived while scaled to zero");
  }

  @Test
  void smoothingFactorsDampenEachDirection() {
    AutoscalingPolicy policy = new AutoscalingPolicy(spec(1, 100, 1, 0.5, 0.5));
    // error 4 -> 1 + (4 - 1) * 0.5 = 2.5 -> ceil(2 * 2.5) = 5 instead of 8
    assertThat(policy.decide(0, 8, 2).proposedReplicas()).isEqualTo(5);
    // error 0.25 -> 1 + (0.25 - 1) * 0.5 = 0.625 -> ceil(8 * 0.625) = 5 instead of 2
    assertThat(policy.decide(0, 2, 8).proposedReplicas()).isEqualTo(5);
  }

  @Test
  void loadWindowAveragesOnlyTheLookBackPeriod() {
    LoadWindow window = new LoadWindow(10 * SECOND);
    window.record(0, 100);
    window.record(5 * SECOND, 0);
    assertThat(window.average()).isEqualTo(50);
    window.record(11 * SECOND, 0);
    assertThat(window.average()).isZero();
  }
}
