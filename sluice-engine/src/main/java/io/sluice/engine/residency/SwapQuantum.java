package io.sluice.engine.residency;

import java.time.Duration;

/**
 * How long a resident replica keeps its room while another deployment waits for it: {@code time}
 * since it became ready, or {@code requests} given to it since then (0: no request bound),
 * whichever comes first. Then it is drained and swapped out.
 */
public record SwapQuantum(Duration time, long requests) {
  public static final SwapQuantum DEFAULT = new SwapQuantum(Duration.ofSeconds(10), 0);

  public SwapQuantum {
    if (time == null || time.isNegative() || time.isZero()) {
      throw new IllegalArgumentException("the swap quantum must be a positive duration");
    }
    if (requests < 0) {
      throw new IllegalArgumentException("the swap quantum's requests must not be negative");
    }
  }
}
