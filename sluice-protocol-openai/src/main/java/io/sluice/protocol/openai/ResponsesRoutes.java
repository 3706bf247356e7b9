package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateResult;
import io.sluice.api.SluiceException;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.http.SluiceHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * OpenAI's Responses API: {@code POST /v1/responses} (whole or streamed), {@code GET} and {@code
 * DELETE /v1/responses/{id}} for stored responses; {@code previous_response_id} continues a stored
 * conversation ({@link ResponseStore}; {@code store: false} keeps a response out of it).
 */
final class ResponsesRoutes {
  private static final String PROTOCOL = "openai";
  private static final List<String> ECHOED =
      List.of(
          "instructions",
          "max_output_tokens",
          "previous_response_id",
          "temperature",
          "top_p",
          "tool_choice",
          "tools",
          "text",
          "metadata");

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;
  private final ResponseStore store;

  ResponsesRoutes(
      EngineClient engine, ModelScope scope, RequestObserver observer, ResponseStore store) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
    this.store = store;
  }

  void mount(Router router) {
    router.post("/v1/responses").handler(this::create);
    router.get("/v1/responses/:id").handler(this::retrieve);
    router.delete("/v1/responses/:id").handler(this::delete);
  }

  private void create(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    JsonNode body;
    ResponsesRequests.Turn turn;
    String model;
    java.time.Duration keepAlive;
    try {
      body = call.body();
      model = call.model(body, scope);
      engine.metadata(model, null);
      ArrayNode previous = null;
      String previousId = body.path("previous_response_id").asText(null);
      if (previousId != null) {
        ResponseStore.Stored stored = stored(previousId);
        if (stored == null) {
          throw new InvalidParameterException(
              "previous_response_id",
              "previous_response_not_found",
              "Previous response with id '" + previousId + "' not found.");
        }
        previous = stored.conversation();
      }
      turn =
          ResponsesRequests.parse(
              model, body, previous, ctx.request().getHeader(SluiceHeaders.REVISION));
      keepAlive = KeepAlive.of(body);
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    boolean stream = body.path("stream").asBoolean(false);
    boolean keep = body.path("store").asBoolean(true);
    ObjectNode echo = OpenAiBodies.MAPPER.createObjectNode();
    for (String field : ECHOED) {
      echo.set(field, body.has(field) ? body.get(field) : OpenAiBodies.MAPPER.nullNode());
    }
    if (!body.has("tools")) {
      echo.putArray("tools");
    }
    if (!body.has("tool_choice")) {
      echo.put("tool_choice", "auto");
    }
    if (!body.has("text")) {
      echo.putObject("text").putObject("format").put("type", "text");
    }
    if (!body.has("metadata")) {
      echo.putObject("metadata");
    }
    echo.put("parallel_tool_calls", true).put("store", keep);
    String id = ResponseAnswer.newId("resp_");
    ResponseAnswer answer =
        new ResponseAnswer(ctx.response(), id, body.get("model").asText(), echo, stream);
    if (stream) {
      answer.startStream();
    }
    CompletableFuture<GenerateResult> generation = engine.generate(turn.request(), answer::accept);
    if (keepAlive != null) {
      generation.whenComplete(
          (result, error) -> engine.keepAlive(turn.request().model(), keepAlive));
    }
    ctx.response().closeHandler(closed -> generation.cancel(false));
    generation.whenComplete(
        LastResort.guarded(
            ctx.response(),
            OpenAiErrors.BODY,
            (result, error) -> {
              if (error == null) {
                ObjectNode done = answer.complete(result);
                if (keep) {
                  ArrayNode conversation = turn.conversation();
                  conversation.add(answer.asChatMessage());
                  store.put(id, done, model, conversation);
                }
                call.observe(200);
                return;
              }
              Throwable cause =
                  error instanceof CompletionException && error.getCause() != null
                      ? error.getCause()
                      : error;
              if (stream) {
                call.observe(answer.streamError(cause));
              } else {
                call.fail(cause);
              }
            }));
  }

  private void retrieve(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    ResponseStore.Stored stored = stored(ctx.pathParam("id"));
    if (stored == null) {
      call.observe(notFound(ctx));
      return;
    }
    try {
      HttpReplies.send(
          ctx.response(),
          200,
          "application/json",
          OpenAiBodies.MAPPER.writeValueAsBytes(stored.response()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    call.observe(200);
  }

  private void delete(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    String id = ctx.pathParam("id");
    if (stored(id) == null || !store.remove(id)) {
      call.observe(notFound(ctx));
      return;
    }
    ObjectNode deleted =
        OpenAiBodies.MAPPER
            .createObjectNode()
            .put("id", id)
            .put("object", "response.deleted")
            .put("deleted", true);
    try {
      HttpReplies.send(
          ctx.response(), 200, "application/json", OpenAiBodies.MAPPER.writeValueAsBytes(deleted));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    call.observe(200);
  }

  /** The response stored as {@code id} when its deployment is in this route's scope, else null. */
  private ResponseStore.Stored stored(String id) {
    ResponseStore.Stored stored = store.get(id);
    return stored != null && scope.includes(stored.deployment()) ? stored : null;
  }

  private static int notFound(RoutingContext ctx) {
    OpenAiErrors.send(
        ctx.response(),
        404,
        "Response with id '" + ctx.pathParam("id") + "' not found.",
        null,
        "not_found");
    return 404;
  }
}
