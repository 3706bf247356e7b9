package io.sluice.engine.autoscale;

import java.util.ArrayDeque;

/** Load samples over a sliding look-back period; the autoscaler averages them. Not thread-safe. */
public final class LoadWindow {
  private record Sample(long atNanos, double load) {}

  private final long periodNanos;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  public LoadWindow(long periodNanos) {
    this.periodNanos = periodNanos;
  }

  public void record(long atNanos, double load) {
    samples.addLast(new Sample(atNanos, load));
    while (!samples.isEmpty() && atNanos - samples.peekFirst().atNanos() > periodNanos) {
      samples.pollFirst();
    }
  }

  /** Mean of the samples in the period; 0 when there are none. */
  public double average() {
    if (samples.isEmpty()) {
      return 0;
    }
    double sum = 0;
    for (Sample sample : samples) {
      sum += sample.load();
    }
    return sum / samples.size();
  }

  public void clear() {
    samples.clear();
  }
}
