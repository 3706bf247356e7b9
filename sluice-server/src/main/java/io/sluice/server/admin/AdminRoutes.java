package io.sluice.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.SluiceException;
import io.sluice.engine.Engine;
import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.autoscale.ScalingDecision;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.placement.Accelerator;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.revision.Revision;
import io.sluice.protocol.kserve.http.HttpReplies;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import io.sluice.server.config.ServerSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;

/**
 * The admin API ({@code /api/v1}): status of every application, deployment and replica with the
 * autoscaler's inputs and last decision, and manual scaling. Every route needs the admin bearer token.
 */
public final class AdminRoutes {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Engine engine;
  private final ConfigApplier applier;
  private final ConfigLoader loader;
  private final Path configDirectory;
  private final AdminAccess access;
  private final Placer placer;

  /** @param configDirectory where relative storage paths in an applied configuration are resolved */
  public AdminRoutes(Engine engine, ConfigApplier applier, ConfigLoader loader, Path configDirectory,
      AdminAccess access, Placer placer) {
    this.engine = engine;
    this.applier = applier;
    this.loader = loader;
    this.configDirectory = configDirectory;
    this.access = access;
    this.placer = placer;
  }

  /** The whole route table. */
  public void mount(Router router) {
    router.route("/api/v1/*").handler(this::authorize);
    router.get("/api/v1/status").handler(this::status);
    router.put("/api/v1/config").handler(this::applyConfig);
    router.post("/api/v1/deployments/:deployment/scale").handler(this::scale);
    router.post("/api/v1/deployments/:deployment/promote").handler(this::promote);
    router.post("/api/v1/deployments/:deployment/rollback").handler(this::rollback);
  }

  /** Whether the connection presented a client certificate (verified against {@code server.tls.clientCa}). */
  private static boolean hasClientCertificate(RoutingContext ctx) {
    try {
      return ctx.request().isSSL() && !ctx.request().connection().peerCertificates().isEmpty();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return false;
    }
  }

  private void authorize(RoutingContext ctx) {
    String refusal = access.refusal(ctx.request().getHeader("Authorization"), ctx.request().remoteAddress().hostAddress(),
        hasClientCertificate(ctx));
    if (refusal == null) {
      ctx.next();
    } else {
      int status = refusal.startsWith("the admin API only") ? 403 : 401;
      if (status == 401) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
      }
      HttpReplies.sendError(ctx.response(), status, refusal);
    }
  }

  private void status(RoutingContext ctx) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("ready", engine.isReady());
    ArrayNode accelerators = root.putArray("accelerators");
    var inUse = placer.shareInUse();
    for (Accelerator device : placer.inventory()) {
      ObjectNode node = accelerators.addObject();
      node.put("id", device.id());
      node.put("vendor", device.vendor());
      node.put("type", device.type());
      node.put("memoryBytes", device.memoryBytes());
      node.put("shareInUse", inUse.get(device.id()));
    }
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
      graph.nodes().forEach((name, spec) -> {
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
            node.put("type", "voice").put("asr", voice.asr()).put("llm", voice.llm()).put("tts", voice.tts());
        case io.sluice.pipelines.rag.RagSpec rag -> node.put("type", "rag").put("embeddings", rag.embeddings())
            .put("reranker", rag.reranker()).put("llm", rag.llm()).put("documents", rag.documents().size());
        default -> node.put("type", pipeline.getClass().getSimpleName());
      }
    }
    send(ctx, 200, root);
  }

  private static ObjectNode describe(Deployment deployment) {
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
      shadow.put("deployment", deployment.traffic().shadow().deployment() == null ? deployment.name() + " (latest revision)"
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
    ArrayNode replicas = node.putArray("replicas");
    for (Replica replica : revision.replicas()) {
      ObjectNode r = replicas.addObject();
      r.put("id", replica.id());
      r.put("state", replica.state().name());
      r.put("reason", replica.reason());
      r.put("ongoing", replica.ongoing());
      r.put("host", switch (revision.spec().hosting()) {
        case IN_PROCESS -> "in-process";
        case WORKER_PROCESS -> "worker";
        case REMOTE -> (replica.server() != null ? replica.server() : revision.spec().endpoint()).toString();
      });
      replica.workerPid().ifPresent(pid -> r.put("pid", pid));
      r.put("crashes", replica.crashes());
      r.put("loadMs", replica.loadNanos() / 1e6);
      r.put("placement", replica.placement().describe());
    }
    return node;
  }

  /** {@code PUT /api/v1/config}: the whole configuration, YAML or JSON, applied declaratively. */
  private void applyConfig(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      HttpReplies.sendError(ctx.response(), 400, "the body must be a whole configuration (YAML or JSON)");
      return;
    }
    // Validation may fetch models (mvn://) and applying starts revisions: off the event loop.
    ctx.vertx().executeBlocking(() -> {
      try {
        return applier.apply(loader.validate(loader.parse(body.toString(StandardCharsets.UTF_8)), configDirectory));
      } catch (ConfigException e) {
        HttpReplies.sendError(ctx.response(), 400, e.getMessage());
        return null;
      }
    }, false).onSuccess(result -> {
      if (result != null) {
        sendApplied(ctx, result);
      }
    }).onFailure(error -> HttpReplies.sendError(ctx.response(), error));
  }

  private static void sendApplied(RoutingContext ctx, ConfigApplier.Result result) {
    ObjectNode reply = MAPPER.createObjectNode();
    reply.set("created", MAPPER.valueToTree(result.created()));
    reply.set("updated", MAPPER.valueToTree(result.updated()));
    reply.set("unchanged", MAPPER.valueToTree(result.unchanged()));
    reply.set("removed", MAPPER.valueToTree(result.removed()));
    reply.set("ignored", MAPPER.valueToTree(result.ignored()));
    send(ctx, 200, reply);
  }

  private void promote(RoutingContext ctx) {
    trafficAction(ctx, Deployment::promote);
  }

  private void rollback(RoutingContext ctx) {
    trafficAction(ctx, Deployment::rollback);
  }

  private void trafficAction(RoutingContext ctx, java.util.function.Consumer<Deployment> action) {
    try {
      Deployment deployment = engine.registry().resolve(ctx.pathParam("deployment"), null);
      action.accept(deployment);
      send(ctx, 200, describe(deployment));
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
    }
  }

  private void scale(RoutingContext ctx) {
    String name = ctx.pathParam("deployment");
    Deployment deployment;
    try {
      deployment = engine.registry().resolve(name, null);
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
      return;
    }
    JsonNode body = readBody(ctx.body().buffer());
    JsonNode replicas = body == null ? null : body.get("replicas");
    if (replicas == null || !replicas.canConvertToInt() || replicas.asInt() < 0) {
      HttpReplies.sendError(ctx.response(), 400, "the body must be {\"replicas\": N} with N >= 0");
      return;
    }
    if (deployment.latest().spec().scaling().autoscaling() != null) {
      HttpReplies.sendError(ctx.response(), 409, "deployment '" + name
          + "' is autoscaled; change its autoscaling bounds instead of its replica count");
      return;
    }
    int target = replicas.asInt();
    if (target == 0) {
      HttpReplies.sendError(ctx.response(), 400, "a deployment without autoscaling keeps at least one replica;"
          + " unload it through /v2/repository/models/" + name + "/unload instead");
      return;
    }
    deployment.latest().scaleTo(target);
    ObjectNode reply = MAPPER.createObjectNode();
    reply.put("deployment", name);
    reply.put("revision", deployment.latest().number());
    reply.put("targetReplicas", deployment.latest().targetReplicas());
    send(ctx, 200, reply);
  }

  private static JsonNode readBody(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    try {
      return MAPPER.readTree(body.getBytes());
    } catch (IOException e) {
      return null;
    }
  }

  private static void send(RoutingContext ctx, int status, JsonNode body) {
    try {
      HttpReplies.send(ctx.response(), status, "application/json", MAPPER.writeValueAsBytes(body));
    } catch (IOException e) {
      HttpReplies.sendError(ctx.response(), 500, "internal server error");
    }
  }
}
