package io.sluice.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.SluiceException;
import io.sluice.engine.Engine;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.placement.Placer;
import io.sluice.http.HttpReplies;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The admin API ({@code /api/v1}): status ({@link StatusReport}), applying a configuration,
 * scaling, promote and rollback, load and unload. Every route needs the admin bearer token.
 */
public final class AdminRoutes {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Engine engine;
  private final ConfigApplier applier;
  private final ConfigLoader loader;
  private final Path configDirectory;
  private final AdminAccess access;
  private final StatusReport status;

  /**
   * @param configDirectory where relative storage paths in an applied configuration are resolved
   */
  public AdminRoutes(
      Engine engine,
      ConfigApplier applier,
      ConfigLoader loader,
      Path configDirectory,
      AdminAccess access,
      Placer placer) {
    this.engine = engine;
    this.applier = applier;
    this.loader = loader;
    this.configDirectory = configDirectory;
    this.access = access;
    this.status = new StatusReport(engine, applier, placer);
  }

  /** The whole route table. */
  public void mount(Router router) {
    router.route("/api/v1/*").handler(this::authorize);
    router.get("/api/v1/status").handler(this::status);
    router.put("/api/v1/config").handler(this::applyConfig);
    router.post("/api/v1/deployments/:deployment/scale").handler(this::scale);
    router.post("/api/v1/deployments/:deployment/promote").handler(this::promote);
    router.post("/api/v1/deployments/:deployment/rollback").handler(this::rollback);
    router.post("/api/v1/deployments/:deployment/adapters").handler(this::addAdapter);
    router.delete("/api/v1/deployments/:deployment/adapters/:adapter").handler(this::removeAdapter);
    router
        .post("/api/v1/deployments/:deployment/load")
        .handler(ctx -> lifecycle(ctx, engine.load(ctx.pathParam("deployment"))));
    router
        .post("/api/v1/deployments/:deployment/unload")
        .handler(ctx -> lifecycle(ctx, engine.unload(ctx.pathParam("deployment"))));
  }

  /**
   * Whether the connection presented a client certificate (verified against {@code
   * server.tls.clientCa}).
   */
  private void authorize(RoutingContext ctx) {
    String refusal = access.refusal(ctx.request());
    if (refusal == null) {
      ctx.next();
    } else {
      int status = AdminAccess.isForbidden(refusal) ? 403 : 401;
      if (status == 401) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
      }
      HttpReplies.sendError(ctx.response(), status, refusal);
    }
  }

  private void status(RoutingContext ctx) {
    send(ctx, 200, status.report());
  }

  /** {@code PUT /api/v1/config}: the whole configuration, YAML or JSON, applied declaratively. */
  private void applyConfig(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      HttpReplies.sendError(
          ctx.response(), 400, "the body must be a whole configuration (YAML or JSON)");
      return;
    }
    // Validation may fetch models (mvn://) and applying starts revisions: off the event loop.
    ctx.vertx()
        .executeBlocking(
            () -> {
              try {
                return applier.apply(
                    loader.validate(
                        loader.parse(body.toString(StandardCharsets.UTF_8)), configDirectory));
              } catch (ConfigException e) {
                HttpReplies.sendError(ctx.response(), 400, e.getMessage());
                return null;
              }
            },
            false)
        .onSuccess(
            result -> {
              if (result != null) {
                sendApplied(ctx, result);
              }
            })
        .onFailure(error -> HttpReplies.sendError(ctx.response(), error));
  }

  /**
   * {@code POST /api/v1/deployments/{d}/adapters} {@code {"name", "storageUri"}}: a LoRA adapter
   * served from now on (vLLM's {@code /v1/load_lora_adapter}). The deployment's configuration gains
   * it, so a new revision rolls out with it (the old one serves meanwhile; the adapter's name
   * answers 503 until the new one is ready).
   */
  private void addAdapter(RoutingContext ctx) {
    JsonNode body = readBody(ctx.body().buffer());
    String adapter = body == null ? null : body.path("name").asText(null);
    String uri = body == null ? null : body.path("storageUri").asText(null);
    if (adapter == null || uri == null) {
      HttpReplies.sendError(
          ctx.response(), 400, "the body must be {\"name\": ..., \"storageUri\": ...}");
      return;
    }
    changeAdapters(
        ctx,
        (spec, settings) -> {
          for (var other : applier.current().deployments()) {
            if (adapter.equals(other.name())
                || adapter.equals(other.servedName())
                || other.adapters().contains(adapter)) {
              throw new ConfigException("name", "'" + adapter + "' already names a model");
            }
          }
          Path file = loader.fetchAdapter(adapter, uri, configDirectory, applier.current());
          settings.put(io.sluice.spi.ModelSource.ADAPTER_PREFIX + adapter, file.toString());
        });
  }

  /** {@code DELETE /api/v1/deployments/{d}/adapters/{a}}: an adapter no longer served. */
  private void removeAdapter(RoutingContext ctx) {
    String adapter = ctx.pathParam("adapter");
    changeAdapters(
        ctx,
        (spec, settings) -> {
          if (settings.remove(io.sluice.spi.ModelSource.ADAPTER_PREFIX + adapter) == null) {
            throw new io.sluice.api.ModelNotFoundException(
                "deployment '" + spec.name() + "' has no adapter '" + adapter + "'");
          }
        });
  }

  private interface AdapterChange {
    void apply(io.sluice.engine.model.DeploymentSpec spec, java.util.Map<String, String> settings)
        throws ConfigException;
  }

  /** Applies the running configuration with one deployment's adapters changed. */
  private void changeAdapters(RoutingContext ctx, AdapterChange change) {
    String name = ctx.pathParam("deployment");
    ctx.vertx()
        .executeBlocking(
            () -> {
              var current = applier.current();
              var spec =
                  current.deployments().stream()
                      .filter(d -> d.name().equals(name))
                      .findFirst()
                      .orElse(null);
              if (spec == null) {
                HttpReplies.sendError(
                    ctx.response(), 404, "no deployment '" + name + "' in the configuration");
                return null;
              }
              java.util.Map<String, String> settings = new java.util.HashMap<>(spec.settings());
              try {
                change.apply(spec, settings);
              } catch (ConfigException e) {
                HttpReplies.sendError(ctx.response(), 400, e.getMessage());
                return null;
              } catch (SluiceException e) {
                HttpReplies.sendError(ctx.response(), e);
                return null;
              }
              return applier.apply(current.withDeployment(spec.withSettings(settings)));
            },
            false)
        .onSuccess(
            result -> {
              if (result != null) {
                sendApplied(ctx, result);
              }
            })
        .onFailure(error -> HttpReplies.sendError(ctx.response(), error));
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
      send(ctx, 200, StatusReport.describe(deployment));
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
    }
  }

  /**
   * Answers a load or unload once it is done: the deployment as the status describes it, or the
   * error.
   */
  private void lifecycle(RoutingContext ctx, java.util.concurrent.CompletableFuture<Void> done) {
    String name = ctx.pathParam("deployment");
    done.whenComplete(
        (ignored, error) ->
            ctx.vertx()
                .runOnContext(
                    v -> {
                      Throwable cause =
                          error instanceof java.util.concurrent.CompletionException
                              ? error.getCause()
                              : error;
                      if (cause == null) {
                        try {
                          send(
                              ctx,
                              200,
                              StatusReport.describe(engine.registry().resolve(name, null)));
                        } catch (SluiceException e) {
                          HttpReplies.sendError(ctx.response(), e);
                        }
                      } else if (cause instanceof SluiceException e) {
                        HttpReplies.sendError(ctx.response(), e);
                      } else {
                        HttpReplies.sendError(ctx.response(), cause);
                      }
                    }));
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
      HttpReplies.sendError(
          ctx.response(),
          409,
          "deployment '"
              + name
              + "' is autoscaled; change its autoscaling bounds instead of its replica count");
      return;
    }
    int target = replicas.asInt();
    if (target == 0) {
      HttpReplies.sendError(
          ctx.response(),
          400,
          "a deployment without autoscaling keeps at least one replica;"
              + " unload it through /v2/repository/models/"
              + name
              + "/unload instead");
      return;
    }
    deployment.latest().scaleTo(target);
    engine
        .events()
        .record(
            io.sluice.engine.events.EngineEvent.Kind.SCALED,
            name,
            "revision "
                + deployment.latest().number()
                + " scaled to "
                + target
                + " replicas through the admin API");
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
