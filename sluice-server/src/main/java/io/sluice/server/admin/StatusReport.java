package io.sluice.server.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.engine.Engine;
import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.autoscale.ScalingDecision;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.placement.Accelerator;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.revision.Revision;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ServerSettings;

/**
 * What {@code GET /api/v1/status} answers and the dashboard shows: every application with its
 * deployments, revisions (traffic, autoscaler inputs and last decision) and replicas (state,
 * hosting, placement), the accelerators, graphs and pipelines.
 */
public final class StatusReport {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Engine engine;
  private final ConfigApplier applier;
  private final Placer placer;

  public StatusReport(Engine engine, ConfigApplier applier, Placer placer) {
    this.engine = engine;
    this.applier = applier;
    this.placer = placer;
  }

  public ObjectNode report() {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("ready", engine.isReady());
    ArrayNode accelerators = root.putArray("accelerators");
    var inUse = placer.shareInUse();
    var reserved = placer.memoryInUse();
    for (Accelerator device : placer.inventory()) {
      ObjectNode node = accelerators.addObject();
      node.put("id", device.id());
      node.put("vendor", device.vendor());
      node.put("type", device.type());
      node.put("memoryBytes", device.memoryBytes());
      node.put("shareInUse", inUse.get(device.id()));
      node.put("memoryInUseBytes", reserved.get(device.id()));
    }
    ObjectNode memory = root.putObject("memory");
    memory.put("budgetBytes", placer.hostMemoryBudget());
    memory.put("usedBytes", placer.hostMemoryUsed());
    ArrayNode applications = root.putArray("applications");
    for (ServerSettings.ApplicationSettings application : applier.current().applications()) {
      ObjectNode app = applications.addObject();
      app.put("name", application.name());
      app.put("routePrefix", application.routePrefix());
      ArrayNode deployments = app.putArray("deployments");
      for (Deployment deployment : engine.registry().all()) {
        if (deployment.spec().application().equals(application.name())) {
          deployments.add(describe(deployment));
        }
      }
    }
    ArrayNode graphs = root.putArray("graphs");
    for (io.sluice.engine.graph.GraphSpec graph : applier.current().graphs()) {
      ObjectNode node = graphs.addObject();
      node.put("name", graph.name());
      node.put("routePrefix", graph.routePrefix());
      ObjectNode nodes = node.putObject("nodes");
      graph
          .nodes()
          .forEach(
              (name, spec) -> {
                ObjectNode described = nodes.putObject(name);
                described.put("routerType", spec.routerType().name());
                ArrayNode steps = described.putArray("steps");
                spec.steps().forEach(step -> steps.add(step.name() + " → " + step.target()));
              });
    }
    ArrayNode pipelines = root.putArray("pipelines");
    for (io.sluice.pipelines.PipelineSpec pipeline : applier.current().pipelines()) {
      ObjectNode node = pipelines.addObject();
      node.put("name", pipeline.name());
      node.put("routePrefix", pipeline.routePrefix());
      switch (pipeline) {
        case io.sluice.pipelines.voice.VoiceSpec voice ->
            node.put("type", "voice")
                .put("asr", voice.asr())
                .put("llm", voice.llm())
                .put("tts", voice.tts());
        case io.sluice.pipelines.rag.RagSpec rag ->
            node.put("type", "rag")
                .put("embeddings", rag.embeddings())
                .put("reranker", rag.reranker())
                .put("llm", rag.llm())
                .put("documents", rag.documents().size());
        default -> node.put("type", pipeline.getClass().getSimpleName());
      }
    }
    return root;
  }

  /** One deployment: traffic, revisions and their replicas. */
  public static ObjectNode describe(Deployment deployment) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("name", deployment.name());
    node.put("version", deployment.version());
    node.put("runtime", deployment.spec().runtime());
    node.put("state", deployment.state().name());
    node.put("reason", deployment.status().reason());
    node.put("rejected", deployment.statistics().rejected());
    int latestPercent = deployment.latestPercent();
    Integer canary = deployment.traffic().canaryTrafficPercent();
    if (canary == null) {
      node.putNull("canaryTrafficPercent");
    } else {
      node.put("canaryTrafficPercent", canary);
    }
    if (deployment.traffic().shadow() != null) {
      ObjectNode shadow = node.putObject("shadow");
      shadow.put(
          "deployment",
          deployment.traffic().shadow().deployment() == null
              ? deployment.name() + " (latest revision)"
              : deployment.traffic().shadow().deployment());
      shadow.put("percent", deployment.traffic().shadow().percent());
    }
    ArrayNode revisions = node.putArray("revisions");
    for (Revision revision : deployment.revisions()) {
      int weight = revision == deployment.latest() ? latestPercent : 100 - latestPercent;
      revisions.add(describe(revision, weight));
    }
    return node;
  }

  private static ObjectNode describe(Revision revision, int weight) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("revision", revision.number());
    node.put("version", revision.spec().version());
    node.put("trafficPercent", weight);
    node.put("state", revision.state().name());
    node.put("reason", revision.status().reason());
    node.put("targetReplicas", revision.targetReplicas());
    var load = revision.router().load();
    node.put("ongoing", load.ongoing());
    node.put("queued", load.queued());
    node.put("dispatched", load.dispatched());
    if (revision.spec().endpoint() != null) {
      node.put("endpoint", revision.spec().endpoint().toString());
    }
    node.put("awaitingServers", revision.awaitingServers());
    node.put("maxOngoingRequests", revision.spec().scaling().maxOngoingRequests());
    node.put("maxQueuedRequests", revision.spec().scaling().maxQueuedRequests());
    AutoscalingSpec autoscaling = revision.spec().scaling().autoscaling();
    if (autoscaling == null) {
      node.putNull("autoscaling");
    } else {
      ObjectNode spec = node.putObject("autoscaling");
      spec.put("minReplicas", autoscaling.minReplicas());
      spec.put("maxReplicas", autoscaling.maxReplicas());
      spec.put("targetOngoingRequests", autoscaling.targetOngoingRequests());
      spec.put("upscaleDelayMs", autoscaling.upscaleDelay().toMillis());
      spec.put("downscaleDelayMs", autoscaling.downscaleDelay().toMillis());
      spec.put("scaleToZeroDelayMs", autoscaling.scaleToZeroDelay().toMillis());
      spec.put("lookBackPeriodMs", autoscaling.lookBackPeriod().toMillis());
      ScalingDecision decision = revision.lastDecision();
      if (decision != null) {
        ObjectNode last = spec.putObject("lastDecision");
        last.put("averageLoad", decision.averageLoad());
        last.put("currentReplicas", decision.currentReplicas());
        last.put("proposedReplicas", decision.proposedReplicas());
        last.put("decidedReplicas", decision.decidedReplicas());
        last.put("reason", decision.reason());
        last.put("ageMs", (System.nanoTime() - decision.atNanos()) / 1_000_000);
      }
    }
    if (revision.lastColdStartNanos() >= 0) {
      node.put("lastColdStartMs", revision.lastColdStartNanos() / 1e6);
    }
    node.put("priority", revision.spec().priority());
    node.put("footprintBytes", revision.footprint());
    ArrayNode replicas = node.putArray("replicas");
    for (Replica replica : revision.replicas()) {
      ObjectNode r = replicas.addObject();
      r.put("id", replica.id());
      r.put("state", replica.state().name());
      r.put("reason", replica.reason());
      r.put("ongoing", replica.ongoing());
      r.put(
          "host",
          switch (revision.spec().hosting()) {
            case IN_PROCESS -> "in-process";
            case WORKER_PROCESS -> "worker";
            case REMOTE ->
                (replica.server() != null ? replica.server() : revision.spec().endpoint())
                    .toString();
          });
      replica.workerPid().ifPresent(pid -> r.put("pid", pid));
      r.put("crashes", replica.crashes());
      r.put("loadMs", replica.loadNanos() / 1e6);
      r.put("placement", replica.placement().describe());
      if (replica.model() instanceof io.sluice.engine.multiplex.MultiplexedModel multiplexed) {
        ArrayNode loaded = r.putArray("multiplexedModels");
        multiplexed.loadedIds().forEach(loaded::add);
      }
      if (replica.measuredMemoryBytes() >= 0) {
        r.put("measuredMemoryBytes", replica.measuredMemoryBytes());
      }
      if (replica.readySinceMillis() >= 0
          && replica.state() == io.sluice.engine.replica.ReplicaState.READY) {
        r.put("uptimeMs", System.currentTimeMillis() - replica.readySinceMillis());
      }
    }
    return node;
  }
}
