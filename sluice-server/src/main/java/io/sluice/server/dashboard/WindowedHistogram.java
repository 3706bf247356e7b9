package io.sluice.server.dashboard;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Quantiles of the values recorded since the previous look, from timers' cumulative bucket counts
 * (the Prometheus histograms): the difference of two snapshots is the window's histogram, read as
 * Prometheus' {@code histogram_quantile} does (linear within a bucket).
 */
final class WindowedHistogram {
  private TreeMap<Double, Double> before = new TreeMap<>();

  /**
   * The window's quantiles in milliseconds (NaN when nothing was recorded), then remembers this
   * snapshot.
   */
  double[] quantiles(Collection<Timer> timers, double... qs) {
    TreeMap<Double, Double> now = new TreeMap<>();
    for (Timer timer : timers) {
      for (CountAtBucket bucket : timer.takeSnapshot().histogramCounts()) {
        now.merge(bucket.bucket(TimeUnit.MILLISECONDS), bucket.count(), Double::sum);
      }
    }
    TreeMap<Double, Double> window = new TreeMap<>();
    for (Map.Entry<Double, Double> bucket : now.entrySet()) {
      window.put(
          bucket.getKey(),
          Math.max(0, bucket.getValue() - before.getOrDefault(bucket.getKey(), 0.0)));
    }
    before = now;
    double[] result = new double[qs.length];
    double total = window.isEmpty() ? 0 : window.lastEntry().getValue();
    for (int i = 0; i < qs.length; i++) {
      result[i] = total <= 0 ? Double.NaN : quantile(window, qs[i] * total);
    }
    return result;
  }

  private static double quantile(TreeMap<Double, Double> cumulative, double rank) {
    double lowerBound = 0;
    double lowerCount = 0;
    for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
      if (bucket.getValue() >= rank) {
        double inBucket = bucket.getValue() - lowerCount;
        double fraction = inBucket <= 0 ? 1 : (rank - lowerCount) / inBucket;
        return lowerBound + (bucket.getKey() - lowerBound) * fraction;
      }
      lowerBound = bucket.getKey();
      lowerCount = bucket.getValue();
    }
    return lowerBound;
  }
}
