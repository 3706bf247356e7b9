package io.sluice.server.access;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void aFullBucketGivesItsBurstThenOneTokenPerInterval() {
    TokenBucket bucket = new TokenBucket(2, 3, 0); // 2 per second, holds 3
    assertThat(bucket.take(0)).isZero();
    assertThat(bucket.take(0)).isZero();
    assertThat(bucket.take(0)).isZero();
    assertThat(bucket.take(0))
        .as("empty: half a second until the next token")
        .isEqualTo(SECOND / 2);
    assertThat(bucket.take(SECOND / 4)).isEqualTo(SECOND / 4);
    assertThat(bucket.take(SECOND / 2)).isZero();
  }

  @Test
  void anIdleBucketRefillsOnlyToItsCapacity() {
    TokenBucket bucket = new TokenBucket(10, 2, 0);
    bucket.take(0);
    bucket.take(0);
    long later = 100 * SECOND;
    assertThat(bucket.take(later)).isZero();
    assertThat(bucket.take(later)).isZero();
    assertThat(bucket.take(later)).isPositive();
    assertThat(bucket.idleSince(later + 61 * SECOND, 60 * SECOND)).isTrue();
    assertThat(bucket.idleSince(later + SECOND / 100, 60 * SECOND)).isFalse();
  }
}
