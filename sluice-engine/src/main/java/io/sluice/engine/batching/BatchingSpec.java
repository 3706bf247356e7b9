package io.sluice.engine.batching;

import java.time.Duration;

/**
 * Dynamic batching: requests that reach one replica within {@code batchWaitTimeout} of each other,
 * and whose inputs agree in everything but the leading (batch) dimension, run as one model call of
 * up to {@code maxBatchSize} rows.
 */
public record BatchingSpec(int maxBatchSize, Duration batchWaitTimeout) {
  public BatchingSpec {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be at least 1");
    }
    if (batchWaitTimeout.isNegative()) {
      throw new IllegalArgumentException("batchWaitTimeout must not be negative");
    }
  }
}
