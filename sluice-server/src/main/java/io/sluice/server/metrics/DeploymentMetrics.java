package io.sluice.server.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.engine.autoscale.ScalingDecision;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.ReplicaState;
import java.util.function.ToDoubleFunction;

/**
 * Per-deployment gauges read at scrape time: ongoing and queued requests, rejections, desired and
 * running replicas, the last cold start, and the autoscaler's last inputs and proposal.
 */
public final class DeploymentMetrics {
  private DeploymentMetrics() {}

  public static void bind(MeterRegistry registry, Deployment deployment) {
    String name = deployment.name();
    gauge(registry, "sluice.deployment.ongoing.requests", "Requests running on the deployment's replicas",
        name, deployment, d -> d.router().load().ongoing());
    gauge(registry, "sluice.deployment.queued.requests", "Requests waiting for a replica",
        name, deployment, d -> d.router().load().queued());
    FunctionCounter.builder("sluice.deployment.rejected.requests", deployment, d -> d.router().load().rejected())
        .description("Requests refused because the queue was full or they waited too long")
        .tag("deployment", name)
        .register(registry);
    FunctionCounter.builder("sluice.deployment.executions", deployment, d -> d.statistics().executionCount())
        .description("Model calls; with dynamic batching one call runs several requests")
        .tag("deployment", name)
        .register(registry);
    FunctionCounter.builder("sluice.deployment.batched.rows", deployment, d -> d.statistics().batchedRows())
        .description("Rows run by model calls; rate(batched_rows) / rate(executions) is the mean batch size")
        .tag("deployment", name)
        .register(registry);
    Gauge.builder("sluice.deployment.replicas", deployment, Deployment::targetReplicas)
        .description("Replicas by state: desired is the target, running the ready ones")
        .tags("deployment", name, "state", "desired")
        .register(registry);
    Gauge.builder("sluice.deployment.replicas", deployment,
            d -> d.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count())
        .tags("deployment", name, "state", "running")
        .register(registry);
    gauge(registry, "sluice.deployment.cold.start.seconds", "Time from the request that woke the deployment from zero to a ready replica",
        name, deployment, d -> d.lastColdStartNanos() < 0 ? Double.NaN : d.lastColdStartNanos() / 1e9);
    gauge(registry, "sluice.autoscaler.average.load", "Average ongoing + queued requests the autoscaler last saw",
        name, deployment, d -> decision(d, ScalingDecision::averageLoad));
    gauge(registry, "sluice.autoscaler.proposed.replicas", "Replicas the autoscaler last proposed",
        name, deployment, d -> decision(d, ScalingDecision::proposedReplicas));
  }

  private static double decision(Deployment deployment, ToDoubleFunction<ScalingDecision> field) {
    ScalingDecision decision = deployment.lastDecision();
    return decision == null ? Double.NaN : field.applyAsDouble(decision);
  }

  private static void gauge(MeterRegistry registry, String metric, String description, String deploymentName,
      Deployment deployment, ToDoubleFunction<Deployment> value) {
    Gauge.builder(metric, deployment, value).description(description).tag("deployment", deploymentName).register(registry);
  }
}
