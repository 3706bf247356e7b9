package io.sluice.server.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.engine.autoscale.ScalingDecision;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.placement.Accelerator;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.engine.residency.Residency;
import io.sluice.engine.revision.Revision;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Per-deployment gauges read at scrape time: ongoing and queued requests, rejections, desired and
 * running replicas, the last cold start, and the autoscaler's last inputs and proposal.
 */
public final class DeploymentMetrics {
  private DeploymentMetrics() {}

  /**
   * The host's memory budget and what replicas hold of it, each accelerator's memory and what is
   * reserved on it ({@code sluice_memory_bytes{kind, device}}), and how long each load on demand
   * took ({@code sluice_deployment_swap_seconds}).
   */
  public static void bindMemory(MeterRegistry registry, Residency residency) {
    Placer placer = residency.placer();
    Gauge.builder("sluice.memory.bytes", placer, Placer::hostMemoryBudget)
        .description("Memory replicas may hold (budget) and hold (used), per device")
        .tags("kind", "budget", "device", "host")
        .register(registry);
    Gauge.builder("sluice.memory.bytes", placer, Placer::hostMemoryUsed)
        .tags("kind", "used", "device", "host")
        .register(registry);
    for (Accelerator device : placer.inventory()) {
      Gauge.builder("sluice.memory.bytes", device, Accelerator::memoryBytes)
          .tags("kind", "budget", "device", device.id())
          .register(registry);
      Gauge.builder("sluice.memory.bytes", placer, p -> p.memoryInUse().get(device.id()))
          .tags("kind", "used", "device", device.id())
          .register(registry);
    }
    residency.listen(
        (deployment, nanos) ->
            Timer.builder("sluice.deployment.swap")
                .description("Time from a request for an unloaded model to its replica being ready")
                .tag("deployment", deployment)
                .publishPercentileHistogram()
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS));
  }

  public static void bind(MeterRegistry registry, Deployment deployment) {
    String name = deployment.name();
    FunctionCounter.builder(
            "sluice.deployment.evictions",
            deployment,
            d -> d.latest().residency().evictions(d.name()))
        .description("Replicas made to leave so that another deployment's replica fits")
        .tag("deployment", name)
        .register(registry);
    gauge(
        registry,
        "sluice.deployment.ongoing.requests",
        "Requests running on the deployment's replicas",
        name,
        deployment,
        d -> sum(d, r -> r.router().load().ongoing()));
    gauge(
        registry,
        "sluice.deployment.queued.requests",
        "Requests waiting for a replica",
        name,
        deployment,
        d -> sum(d, r -> r.router().load().queued()));
    gauge(
        registry,
        "sluice.deployment.latest.traffic.percent",
        "Share of traffic going to the latest revision",
        name,
        deployment,
        Deployment::latestPercent);
    gauge(
        registry,
        "sluice.deployment.revisions",
        "Live revisions (2 while a canary or a rollback is in place)",
        name,
        deployment,
        d -> d.revisions().size());
    FunctionCounter.builder(
            "sluice.deployment.rejected.requests", deployment, d -> d.statistics().rejected())
        .description("Requests refused because the queue was full or they waited too long")
        .tag("deployment", name)
        .register(registry);
    FunctionCounter.builder(
            "sluice.deployment.executions", deployment, d -> d.statistics().executionCount())
        .description("Model calls; with dynamic batching one call runs several requests")
        .tag("deployment", name)
        .register(registry);
    FunctionCounter.builder(
            "sluice.deployment.batched.rows", deployment, d -> d.statistics().batchedRows())
        .description(
            "Rows run by model calls; rate(batched_rows) / rate(executions) is the mean batch size")
        .tag("deployment", name)
        .register(registry);
    Gauge.builder("sluice.deployment.replicas", deployment, d -> sum(d, Revision::targetReplicas))
        .description("Replicas by state: desired is the target, running the ready ones")
        .tags("deployment", name, "state", "desired")
        .register(registry);
    Gauge.builder(
            "sluice.deployment.replicas",
            deployment,
            d -> d.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count())
        .tags("deployment", name, "state", "running")
        .register(registry);
    gauge(
        registry,
        "sluice.deployment.cold.start.seconds",
        "Time from the request that woke the deployment from zero to a ready replica",
        name,
        deployment,
        d ->
            d.latest().lastColdStartNanos() < 0
                ? Double.NaN
                : d.latest().lastColdStartNanos() / 1e9);
    gauge(
        registry,
        "sluice.autoscaler.average.load",
        "Average ongoing + queued requests the autoscaler last saw",
        name,
        deployment,
        d -> decision(d, ScalingDecision::averageLoad));
    gauge(
        registry,
        "sluice.autoscaler.proposed.replicas",
        "Replicas the autoscaler last proposed",
        name,
        deployment,
        d -> decision(d, ScalingDecision::proposedReplicas));
  }

  private static double sum(Deployment deployment, ToDoubleFunction<Revision> value) {
    double total = 0;
    for (Revision revision : deployment.revisions()) {
      total += value.applyAsDouble(revision);
    }
    return total;
  }

  private static double decision(Deployment deployment, ToDoubleFunction<ScalingDecision> field) {
    ScalingDecision decision = deployment.latest().lastDecision();
    return decision == null ? Double.NaN : field.applyAsDouble(decision);
  }

  private static void gauge(
      MeterRegistry registry,
      String metric,
      String description,
      String deploymentName,
      Deployment deployment,
      ToDoubleFunction<Deployment> value) {
    Gauge.builder(metric, deployment, value)
        .description(description)
        .tag("deployment", deploymentName)
        .register(registry);
  }
}
