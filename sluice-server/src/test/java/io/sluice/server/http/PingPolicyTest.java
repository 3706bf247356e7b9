package io.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PingPolicyTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void theThirdEarlyPingInARowWithNothingMovingEndsTheConnection() {
    PingPolicy policy = new PingPolicy(10 * SECOND);
    assertThat(policy.accept(0, 5)).as("the first ping").isTrue();
    assertThat(policy.accept(SECOND, 5)).as("strike 1").isTrue();
    assertThat(policy.accept(2 * SECOND, 5)).as("strike 2").isTrue();
    assertThat(policy.accept(3 * SECOND, 5)).as("strike 3").isFalse();
  }

  @Test
  void movedDataOrTheIntervalClearsTheStrikes() {
    PingPolicy policy = new PingPolicy(10 * SECOND);
    policy.accept(0, 5);
    policy.accept(SECOND, 5);
    policy.accept(2 * SECOND, 5);
    assertThat(policy.accept(3 * SECOND, 6)).as("bytes moved since the last ping").isTrue();
    policy.accept(4 * SECOND, 6);
    policy.accept(5 * SECOND, 6);
    assertThat(policy.accept(13 * SECOND, 6)).as("10 s after the last fine ping").isTrue();
    assertThat(policy.accept(14 * SECOND, 6)).isTrue();
    assertThat(policy.accept(15 * SECOND, 6)).isTrue();
    assertThat(policy.accept(16 * SECOND, 6)).isFalse();
  }

  @Test
  void aZeroIntervalAllowsAnyPing() {
    PingPolicy policy = new PingPolicy(0);
    for (int i = 0; i < 100; i++) {
      assertThat(policy.accept(i, 1)).isTrue();
    }
  }
}
