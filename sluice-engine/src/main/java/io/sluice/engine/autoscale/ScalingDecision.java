package io.sluice.engine.autoscale;

/**
 * One autoscaler evaluation: its inputs and what it decided.
 *
 * @param atNanos when it was taken (the autoscaler's clock)
 * @param averageLoad average ongoing + queued requests over the look-back period
 * @param currentReplicas the target before the decision
 * @param proposedReplicas what the load asks for, smoothed and clamped
 * @param decidedReplicas the new target: the proposal once its delay has passed, else the current
 *     one
 * @param reason why, in words
 */
public record ScalingDecision(
    long atNanos,
    double averageLoad,
    int currentReplicas,
    int proposedReplicas,
    int decidedReplicas,
    String reason) {
  public boolean changes() {
    return decidedReplicas != currentReplicas;
  }
}
