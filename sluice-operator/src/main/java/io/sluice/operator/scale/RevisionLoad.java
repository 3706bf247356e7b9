package io.sluice.operator.scale;

import java.io.IOException;
import java.util.Map;

/** Where the load of predictor revisions comes from, keyed {@code namespace/revision}. */
@FunctionalInterface
public interface RevisionLoad {
  /**
   * One revision's load at one moment.
   *
   * @param concurrency requests ongoing and waiting for a pod
   * @param dispatched requests handed to a pod so far (a counter: its rate is requests per second)
   */
  record Sample(double concurrency, long dispatched) {
    public Sample plus(Sample other) {
      return new Sample(concurrency + other.concurrency, dispatched + other.dispatched);
    }
  }

  /** The load now; throws when it cannot be known (then nothing is scaled). */
  Map<String, Sample> read() throws IOException, InterruptedException;
}
