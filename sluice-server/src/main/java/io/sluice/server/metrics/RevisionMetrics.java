package io.sluice.server.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.sluice.engine.Engine;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.engine.revision.Revision;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-revision gauges ({@code deployment} and {@code revision} labels): traffic share, ongoing and
 * queued requests, desired and running replicas. Revisions come and go with rollouts, so the rows
 * are rebuilt from the engine at every scrape; retired revisions disappear.
 */
public final class RevisionMetrics {
  private final Engine engine;
  private final MultiGauge traffic;
  private final MultiGauge ongoing;
  private final MultiGauge queued;
  private final MultiGauge replicas;

  public RevisionMetrics(MeterRegistry registry, Engine engine) {
    this.engine = engine;
    this.traffic =
        MultiGauge.builder("sluice.revision.traffic.percent")
            .description("Share of the deployment's traffic this revision receives")
            .register(registry);
    this.ongoing =
        MultiGauge.builder("sluice.revision.ongoing.requests")
            .description("Requests running on this revision's replicas")
            .register(registry);
    this.queued =
        MultiGauge.builder("sluice.revision.queued.requests")
            .description("Requests waiting for one of this revision's replicas")
            .register(registry);
    this.replicas =
        MultiGauge.builder("sluice.revision.replicas")
            .description("Replicas of this revision: desired (the target) and running (ready)")
            .register(registry);
  }

  /** Rebuilds the rows from the engine's current revisions; call before each scrape. */
  public void refresh() {
    List<MultiGauge.Row<?>> trafficRows = new ArrayList<>();
    List<MultiGauge.Row<?>> ongoingRows = new ArrayList<>();
    List<MultiGauge.Row<?>> queuedRows = new ArrayList<>();
    List<MultiGauge.Row<?>> replicaRows = new ArrayList<>();
    for (Deployment deployment : engine.registry().all()) {
      int latestPercent = deployment.latestPercent();
      for (Revision revision : deployment.revisions()) {
        Tags tags =
            Tags.of(
                "deployment", deployment.name(), "revision", Integer.toString(revision.number()));
        var load = revision.router().load();
        trafficRows.add(
            MultiGauge.Row.of(
                tags, revision == deployment.latest() ? latestPercent : 100 - latestPercent));
        ongoingRows.add(MultiGauge.Row.of(tags, load.ongoing()));
        queuedRows.add(MultiGauge.Row.of(tags, load.queued()));
        replicaRows.add(MultiGauge.Row.of(tags.and("state", "desired"), revision.targetReplicas()));
        long running = 0;
        for (Replica replica : revision.replicas()) {
          if (replica.state() == ReplicaState.READY) {
            running++;
          }
        }
        replicaRows.add(MultiGauge.Row.of(tags.and("state", "running"), running));
      }
    }
    traffic.register(trafficRows, true);
    ongoing.register(ongoingRows, true);
    queued.register(queuedRows, true);
    replicas.register(replicaRows, true);
  }
}
