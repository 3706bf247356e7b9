package io.sluice.engine.stats;

import java.util.concurrent.atomic.LongAdder;

/** A count and a cumulative duration in nanoseconds (Triton's {@code $duration_stat}). */
public final class DurationStat {
  private final LongAdder count = new LongAdder();
  private final LongAdder nanos = new LongAdder();

  public void record(long durationNanos) {
    count.increment();
    nanos.add(durationNanos);
  }

  public long count() {
    return count.sum();
  }

  public long nanos() {
    return nanos.sum();
  }
}
