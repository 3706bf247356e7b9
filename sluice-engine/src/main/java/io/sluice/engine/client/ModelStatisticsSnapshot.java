package io.sluice.engine.client;

/**
 * One model's cumulative statistics in the shape of Triton's statistics extension: {@code
 * inferenceCount} counts requests, {@code executionCount} model calls (fewer when dynamic batching
 * joins requests).
 */
public record ModelStatisticsSnapshot(
    String name,
    String version,
    long lastInferenceMillis,
    long inferenceCount,
    long executionCount,
    Timing success,
    Timing fail,
    Timing queue,
    Timing computeInput,
    Timing computeInfer,
    Timing computeOutput) {

  /** How many times a phase ran and the nanoseconds it took in all. */
  public record Timing(long count, long nanos) {
    public static final Timing NONE = new Timing(0, 0);
  }
}
