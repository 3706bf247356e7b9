package io.sluice.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.api.SluiceException;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.ModelStatus;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;

/**
 * {@code GET /v1/models} and {@code GET /v1/models/{model}} belong to two protocols at once, KServe
 * V1 and OpenAI. One answer carries the fields of every protocol mounted, and each protocol's
 * clients read their own: the protocols contribute fields and never write each other's.
 */
public final class ModelListing {

  /** One protocol's fields of the shared model objects. */
  public interface Fields {
    /** This protocol's fields of the list object, for the models in scope. */
    void list(JsonGenerator json, List<ModelStatus> models) throws IOException;

    /** This protocol's fields of one ready model's object. */
    void model(JsonGenerator json, String model) throws IOException;
  }

  private final EngineClient engine;
  private final ModelScope scope;
  private final List<Fields> protocols;

  public ModelListing(EngineClient engine, ModelScope scope, List<Fields> protocols) {
    this.engine = engine;
    this.scope = scope;
    this.protocols = List.copyOf(protocols);
  }

  public void mount(Router router) {
    router.get("/v1/models").handler(this::list);
    router.get("/v1/models/:model").handler(this::model);
  }

  private void list(RoutingContext ctx) {
    List<ModelStatus> models = scope.models();
    HttpReplies.sendJson(
        ctx.response(),
        200,
        json -> {
          json.writeStartObject();
          for (Fields protocol : protocols) {
            protocol.list(json, models);
          }
          json.writeEndObject();
        });
  }

  /** A model that is not ready is a 503, as KServe V1 answers it. */
  private void model(RoutingContext ctx) {
    String model = ctx.pathParam("model");
    try {
      if (!engine.isModelReady(scope.resolve(model), null)) {
        HttpReplies.sendError(ctx.response(), 503, "model '" + model + "' is not ready");
        return;
      }
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
      return;
    }
    HttpReplies.sendJson(
        ctx.response(),
        200,
        json -> {
          json.writeStartObject();
          for (Fields protocol : protocols) {
            protocol.model(json, model);
          }
          json.writeEndObject();
        });
  }
}
