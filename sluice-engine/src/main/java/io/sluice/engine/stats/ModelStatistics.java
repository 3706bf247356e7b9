package io.sluice.engine.stats;

import io.sluice.engine.client.ModelStatisticsSnapshot;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * Cumulative statistics of one model since the server started, in the shape of Triton's statistics
 * extension: {@code inferenceCount} counts requests, {@code executionCount} model calls (fewer than
 * requests when dynamic batching joins them), {@code batchedRows} the rows those calls ran.
 */
public final class ModelStatistics {
  private final LongAccumulator lastInferenceMillis = new LongAccumulator(Math::max, 0);
  private final LongAdder inferenceCount = new LongAdder();
  private final LongAdder executionCount = new LongAdder();
  private final LongAdder batchedRows = new LongAdder();
  private final LongAdder rejected = new LongAdder();
  private final DurationStat success = new DurationStat();
  private final DurationStat fail = new DurationStat();
  private final DurationStat queue = new DurationStat();
  private final DurationStat computeInput = new DurationStat();
  private final DurationStat computeInfer = new DurationStat();
  private final DurationStat computeOutput = new DurationStat();

  /** Records a request that ran: its phase durations, then success with its total duration. */
  public void recordSuccess(
      long queueNanos, long inputNanos, long inferNanos, long outputNanos, long totalNanos) {
    queue.record(queueNanos);
    computeInput.record(inputNanos);
    computeInfer.record(inferNanos);
    computeOutput.record(outputNanos);
    success.record(totalNanos);
    inferenceCount.increment();
    lastInferenceMillis.accumulate(System.currentTimeMillis());
  }

  /** Records one model call over {@code rows} rows (1 without batching). */
  public void recordExecution(int rows) {
    executionCount.increment();
    batchedRows.add(rows);
  }

  /** Records a request refused for lack of capacity (queue full, or waited too long). */
  public void recordRejection() {
    rejected.increment();
  }

  public long rejected() {
    return rejected.sum();
  }

  public long batchedRows() {
    return batchedRows.sum();
  }

  public void recordFailure(long totalNanos) {
    fail.record(totalNanos);
    lastInferenceMillis.accumulate(System.currentTimeMillis());
  }

  public long lastInferenceMillis() {
    return lastInferenceMillis.get();
  }

  public long inferenceCount() {
    return inferenceCount.sum();
  }

  public long executionCount() {
    return executionCount.sum();
  }

  public DurationStat success() {
    return success;
  }

  public DurationStat fail() {
    return fail;
  }

  public DurationStat queue() {
    return queue;
  }

  public DurationStat computeInput() {
    return computeInput;
  }

  public DurationStat computeInfer() {
    return computeInfer;
  }

  public DurationStat computeOutput() {
    return computeOutput;
  }

  /** These statistics as they stand, under the deployment's name and version. */
  public ModelStatisticsSnapshot snapshot(String name, String version) {
    return new ModelStatisticsSnapshot(
        name,
        version,
        lastInferenceMillis(),
        inferenceCount(),
        executionCount(),
        timing(success),
        timing(fail),
        timing(queue),
        timing(computeInput),
        timing(computeInfer),
        timing(computeOutput));
  }

  private static ModelStatisticsSnapshot.Timing timing(DurationStat stat) {
    return new ModelStatisticsSnapshot.Timing(stat.count(), stat.nanos());
  }
}
