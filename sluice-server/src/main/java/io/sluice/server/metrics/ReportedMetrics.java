package io.sluice.server.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.spi.ReportingModel;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The statistics models report themselves ({@link ReportingModel}: an LLM's tokens, running and
 * waiting generations, KV-cache usage), summed over a deployment's ready replicas, as {@code
 * sluice_llm_*} meters. A deployment's meters appear at the first scrape after one of its models
 * reports, so deployments of other kinds carry none.
 */
public final class ReportedMetrics {
  private final MeterRegistry registry;
  private final Set<Deployment> bound = ConcurrentHashMap.newKeySet();

  public ReportedMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Registers the meters of deployments whose models have started reporting. */
  public void refresh(Collection<Deployment> deployments) {
    for (Deployment deployment : deployments) {
      if (!bound.contains(deployment)
          && deployment.replicas().stream().anyMatch(r -> r.model() instanceof ReportingModel)
          && bound.add(deployment)) { // scrapes and the dashboard's sampler both refresh: bind once
        bind(deployment);
      }
    }
  }

  private void bind(Deployment deployment) {
    for (ReportingModel.Statistic statistic : ReportingModel.Statistic.values()) {
      String name = "sluice." + statistic.key();
      if (statistic.counter()) {
        FunctionCounter.builder(name, deployment, d -> sum(d, statistic))
            .description(statistic.description())
            .tag("deployment", deployment.name())
            .register(registry);
      } else {
        Gauge.builder(
                name,
                deployment,
                d ->
                    statistic == ReportingModel.Statistic.LLM_KV_CACHE_USAGE
                        ? mean(d, statistic)
                        : sum(d, statistic))
            .description(statistic.description())
            .tag("deployment", deployment.name())
            .register(registry);
      }
    }
  }

  private static double sum(Deployment deployment, ReportingModel.Statistic statistic) {
    double total = 0;
    for (Replica replica : deployment.replicas()) {
      if (replica.state() == ReplicaState.READY
          && replica.model() instanceof ReportingModel reporting) {
        total += reporting.statistics().getOrDefault(statistic.key(), 0.0);
      }
    }
    return total;
  }

  private static double mean(Deployment deployment, ReportingModel.Statistic statistic) {
    double total = 0;
    int count = 0;
    for (Replica replica : deployment.replicas()) {
      if (replica.state() == ReplicaState.READY
          && replica.model() instanceof ReportingModel reporting) {
        total += reporting.statistics().getOrDefault(statistic.key(), 0.0);
        count++;
      }
    }
    return count == 0 ? 0 : total / count;
  }
}
