package io.sluice.engine.graph;

import java.time.Duration;
import java.util.Objects;

/**
 * One step of a node: a deployment called through the engine, or another node.
 *
 * @param name the step's name (in errors, and in an Ensemble's merged output names)
 * @param deployment the deployment it calls (KServe's {@code serviceName}), or null
 * @param node the node it enters (KServe's {@code nodeName}), or null
 * @param fromRequest whether it takes the node's request rather than the previous step's answer
 *     (KServe's {@code data: $request}); only Sequence steps after the first tell the difference
 * @param condition when a Switch takes this step; null elsewhere
 * @param weight a Splitter's relative weight
 * @param soft whether the graph goes on when this step fails (KServe's {@code dependency: Soft}): a
 *     failed soft step passes its input on as its answer
 * @param timeout how long the step may take before it fails with a timeout
 */
public record StepSpec(
    String name,
    String deployment,
    String node,
    boolean fromRequest,
    Condition condition,
    double weight,
    boolean soft,
    Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  public StepSpec {
    Objects.requireNonNull(name, "name");
    timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
  }

  /** What the step calls, for messages: {@code deployment 'x'} or {@code node 'y'}. */
  public String target() {
    return deployment != null ? "deployment '" + deployment + "'" : "node '" + node + "'";
  }
}
