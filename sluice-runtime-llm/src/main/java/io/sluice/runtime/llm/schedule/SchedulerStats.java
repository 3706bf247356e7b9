package io.sluice.runtime.llm.schedule;

/**
 * A scheduler's counters, for {@code /metrics} and status.
 *
 * @param running generations holding a sequence
 * @param waiting generations queued for one
 * @param kvCellsUsed KV cells holding tokens (running generations' and cached prefixes')
 * @param kvCells KV cells in all
 * @param promptTokens prompt tokens run through the model so far (not counting reused ones)
 * @param cachedPromptTokens prompt tokens whose cells were reused (prefix cache hits)
 * @param generatedTokens tokens generated so far
 * @param finished generations finished so far
 * @param preemptions times a generation's cells were taken for others
 * @param steps decoding steps run
 * @param decodeNanos time spent in the decoder's {@code decode}
 * @param hostNanos time the steps spent outside it (batch, sampling, text, listeners)
 */
public record SchedulerStats(
    int running,
    int waiting,
    int kvCellsUsed,
    int kvCells,
    long promptTokens,
    long cachedPromptTokens,
    long generatedTokens,
    long finished,
    long preemptions,
    long steps,
    long decodeNanos,
    long hostNanos,
    long savedPrefixBytes) {
  public double kvUsage() {
    return kvCells == 0 ? 0 : (double) kvCellsUsed / kvCells;
  }
}
