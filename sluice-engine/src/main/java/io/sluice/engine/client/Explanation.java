package io.sluice.engine.client;

/**
 * Feature attributions for one instance: one per input element (in the input's row-major order),
 * how much each moved the explained output element away from its value at the baseline.
 *
 * @param prediction the explained output element for the instance
 * @param baselinePrediction the same for an all-baseline input
 * @param modelCalls model calls made (bounded by {@code maxModelCalls})
 */
public record Explanation(
    String method,
    String input,
    String output,
    int target,
    long[] shape,
    double[] attributions,
    double prediction,
    double baselinePrediction,
    int modelCalls) {}
