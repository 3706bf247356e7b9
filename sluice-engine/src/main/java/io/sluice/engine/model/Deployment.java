package io.sluice.engine.model;

import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.ModelNotReadyException;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatus;
import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.revision.Revision;
import io.sluice.engine.revision.RevisionContext;
import io.sluice.engine.stats.ModelStatistics;
import io.sluice.spi.ModelLoadException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model name and its revisions. A changed spec makes a new revision; traffic goes to the latest
 * revision and to the previous (last fully ready) one by weight: {@code canaryTrafficPercent} to
 * the latest, the rest to the previous. Without a canary percentage the latest takes everything
 * once it is ready and the previous drains (blue-green). {@link #promote} and {@link #rollback}
 * only move weights; they never restart replicas. A request may pin a revision by number.
 */
public final class Deployment {
  private static final Logger log = LoggerFactory.getLogger(Deployment.class);

  private final String name;
  private final RevisionContext context;
  private final ModelStatistics statistics = new ModelStatistics();
  private final Object lock = new Object();

  private volatile Revision latest;
  private volatile Revision previous;
  private volatile int latestPercent = 100;
  private volatile TrafficSpec traffic;
  private int revisionNumbers;

  public Deployment(DeploymentSpec spec, TrafficSpec traffic, RevisionContext context) {
    this.name = spec.name();
    this.context = context;
    this.traffic = traffic == null ? TrafficSpec.DEFAULT : traffic;
    this.latest = new Revision(++revisionNumbers, spec, context, statistics);
  }

  public String name() {
    return name;
  }

  /** The latest revision's spec. */
  public DeploymentSpec spec() {
    return latest.spec();
  }

  public TrafficSpec traffic() {
    return traffic;
  }

  public ModelStatistics statistics() {
    return statistics;
  }

  public Revision latest() {
    return latest;
  }

  /** The previous revision while it still serves (canary, or rolled back), else null. */
  public Revision previous() {
    return previous;
  }

  /** The latest revision's traffic share, 0-100; the previous revision gets the rest. */
  public int latestPercent() {
    Revision current = latest;
    return previous == null ? 100 : current.state() == ModelState.READY ? latestPercent : 0;
  }

  /** Live revisions, oldest first. */
  public List<Revision> revisions() {
    List<Revision> live = new ArrayList<>(2);
    Revision before = previous;
    if (before != null) {
      live.add(before);
    }
    live.add(latest);
    return live;
  }

  /** The revision taking most traffic: what metadata, version and readiness describe. */
  public Revision serving() {
    return latestPercent() >= 50 || previous == null ? latest : previous;
  }

  public String version() {
    return serving().spec().version();
  }

  public List<String> versions() {
    return revisions().stream().map(r -> r.spec().version()).distinct().toList();
  }

  public boolean hasVersion(String version) {
    return versions().contains(version) || isMultiplexedModel(version);
  }

  public boolean wanted() {
    return latest.wanted() || (previous != null && previous.wanted());
  }

  public ModelState state() {
    Revision serving = serving();
    ModelState state = serving.state();
    if (state != ModelState.READY) {
      for (Revision revision : revisions()) {
        if (revision.state() == ModelState.READY) {
          return ModelState.READY;
        }
      }
    }
    return state;
  }

  public ModelStatus status() {
    ModelStatus status = serving().status();
    return new ModelStatus(status.application(), name, version(), state(), status.reason());
  }

  public int inFlight() {
    return revisions().stream().mapToInt(Revision::inFlight).sum();
  }

  public List<Replica> replicas() {
    List<Replica> all = new ArrayList<>();
    for (Revision revision : revisions()) {
      all.addAll(revision.replicas());
    }
    return all;
  }

  /**
   * Whether {@code version} names one of the models of a multiplexed deployment (rather than a
   * revision's version).
   */
  public boolean isMultiplexedModel(String version) {
    return version != null
        && latest.spec().multiplex() != null
        && !versions().contains(version)
        && latest.multiplexedIds().contains(version);
  }

  /** Metadata of the revision serving {@code version}, or of the serving revision. */
  public ModelMetadata metadata(String version) {
    Revision revision =
        version == null || version.isEmpty() || isMultiplexedModel(version)
            ? serving()
            : byVersion(version);
    ModelMetadata metadata = revision.metadata();
    List<String> versions = versions();
    return versions.equals(metadata.versions())
        ? metadata
        : new ModelMetadata(
            metadata.name(), versions, metadata.platform(), metadata.inputs(), metadata.outputs());
  }

  private Revision byVersion(String version) {
    Revision current = latest;
    if (current.spec().version().equals(version)) {
      return current;
    }
    Revision before = previous;
    if (before != null && before.spec().version().equals(version)) {
      return before;
    }
    throw new ModelNotFoundException("model '" + name + "' has no version '" + version + "'");
  }

  /**
   * The revision for one request: the pinned revision (its number, or its version label) if given,
   * else the one serving the named version, else one drawn by the traffic weights.
   */
  public Revision select(String pinnedRevision, String version) {
    if (pinnedRevision != null && !pinnedRevision.isEmpty()) {
      for (Revision revision : revisions()) {
        if (Integer.toString(revision.number()).equals(pinnedRevision)
            || revision.version().equals(pinnedRevision)) {
          return revision;
        }
      }
      throw new ModelNotFoundException(
          "model '" + name + "' has no live revision '" + pinnedRevision + "'");
    }
    if (version != null && !version.isEmpty()) {
      return byVersion(version);
    }
    Revision before = previous;
    if (before == null) {
      return latest;
    }
    int percent = latestPercent();
    return ThreadLocalRandom.current().nextInt(100) < percent ? latest : before;
  }

  /** Loads the latest revision (start-up and the repository API); see {@link Revision#load}. */
  public void load() throws ModelLoadException {
    latest.load();
    context
        .events()
        .record(
            EngineEvent.Kind.MODEL_LOADED,
            name,
            "revision " + latest.number() + " loaded (" + latest.spec().runtime() + ")");
  }

  /** Stops every revision; see {@link Revision#stop}. */
  public void unload() {
    unload(null);
  }

  /**
   * Like {@link #unload()}, waiting at most {@code patience} for requests in flight (null: without
   * bound).
   */
  public void unload(java.time.Duration patience) {
    Revision before;
    synchronized (lock) {
      before = previous;
      previous = null;
      latestPercent = 100;
    }
    if (before != null) {
      before.stop(patience);
    }
    latest.stop(patience);
    context.events().record(EngineEvent.Kind.MODEL_UNLOADED, name, "unloaded");
  }

  /**
   * Applies a new spec and traffic settings. A changed spec starts a new revision in the
   * background; traffic moves to it once it is ready (all of it, or {@code canaryTrafficPercent}).
   * Unchanged specs keep their replicas; only the traffic settings change.
   *
   * @return whether a new revision was created
   */
  public boolean update(DeploymentSpec spec, TrafficSpec newTraffic) {
    TrafficSpec trafficSpec = newTraffic == null ? TrafficSpec.DEFAULT : newTraffic;
    Revision created;
    Revision retired = null;
    synchronized (lock) {
      traffic = trafficSpec;
      if (spec.equals(latest.spec())) {
        if (previous != null && trafficSpec.canaryTrafficPercent() != null) {
          latestPercent = trafficSpec.canaryTrafficPercent();
        }
        return false;
      }
      created = new Revision(++revisionNumbers, spec, context, statistics);
      if (previous == null || latestPercent() == 100) {
        retired = previous;
        previous = latest;
      } else {
        retired = latest; // an unfinished canary is replaced; the stable previous keeps serving
      }
      latest = created;
      latestPercent =
          trafficSpec.canaryTrafficPercent() == null ? 100 : trafficSpec.canaryTrafficPercent();
    }
    log.info(
        "deployment {}: revision {} created ({}% of traffic once ready)",
        name, created.number(), latestPercent);
    context
        .events()
        .record(
            EngineEvent.Kind.REVISION_CREATED,
            name,
            "revision "
                + created.number()
                + " created ("
                + latestPercent
                + "% of traffic once ready)");
    if (retired != null) {
      Revision drained = retired;
      context.executor().execute(drained::stop);
    }
    context.executor().execute(() -> startRevision(created));
    return true;
  }

  private void startRevision(Revision revision) {
    try {
      revision.load();
    } catch (ModelLoadException e) {
      log.warn(
          "deployment {}: revision {} failed to load ({}); traffic stays on revision {}",
          name,
          revision.number(),
          e.getMessage(),
          previous == null ? "none" : previous.number());
      return;
    }
    Revision before;
    synchronized (lock) {
      if (latest != revision || traffic.canaryTrafficPercent() != null) {
        return; // a canary keeps the previous revision serving its share
      }
      before = previous;
      previous = null; // blue-green: the new revision takes everything
    }
    if (before != null) {
      log.info(
          "deployment {}: revision {} ready; draining revision {}",
          name,
          revision.number(),
          before.number());
      before.stop();
    }
  }

  /** Sends all traffic to the latest revision; the previous one stays up with no traffic. */
  public void promote() {
    synchronized (lock) {
      if (latest.state() != ModelState.READY) {
        throw new ModelNotReadyException(
            "revision " + latest.number() + " of '" + name + "' is not ready to promote");
      }
      latestPercent = 100;
    }
    context
        .events()
        .record(
            EngineEvent.Kind.PROMOTED, name, "revision " + latest.number() + " takes all traffic");
  }

  /** Sends all traffic back to the previous revision; the latest stays up with no traffic. */
  public void rollback() {
    synchronized (lock) {
      if (previous == null) {
        throw new ModelNotFoundException(
            "deployment '" + name + "' has no previous revision to roll back to");
      }
      if (previous.state() != ModelState.READY) {
        throw new ModelNotReadyException(
            "revision " + previous.number() + " of '" + name + "' is not ready");
      }
      latestPercent = 0;
    }
    context
        .events()
        .record(
            EngineEvent.Kind.ROLLED_BACK,
            name,
            "all traffic back to revision " + previous.number());
  }

  /** Autoscaling and queue expiry for every live revision. */
  public void tick() {
    for (Revision revision : revisions()) {
      revision.tick();
    }
  }
}
