package io.sluice.protocol.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InvalidInputException;
import io.sluice.api.SluiceException;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.http.SluiceHeaders;
import io.sluice.http.json.JsonBodies;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code POST /v1/messages}, whole or streamed ({@code stream: true}), and {@code POST
 * /v1/messages/count_tokens}. A client that disconnects stops its generation.
 */
final class MessagesRoutes {
  private static final String PROTOCOL = "anthropic";

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  MessagesRoutes(EngineClient engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  void mount(Router router) {
    router.post("/v1/messages").handler(this::create);
    router.post("/v1/messages/count_tokens").handler(this::countTokens);
  }

  private void create(RoutingContext ctx) {
    long started = System.nanoTime();
    String named = "";
    GenerateRequest request;
    boolean stream;
    try {
      JsonNode body = JsonBodies.object(ctx.body().buffer());
      named = body.path("model").asText("");
      request = parse(ctx, body, true);
      stream = body.path("stream").asBoolean(false);
    } catch (SluiceException e) {
      observe(named, AnthropicErrors.send(ctx.response(), e), started);
      return;
    }
    String model = named;
    MessagesAnswer answer = new MessagesAnswer(ctx.response(), model, stream);
    if (stream) {
      answer.startStream();
    }
    CompletableFuture<GenerateResult> generation = engine.generate(request, answer::accept);
    ctx.response().closeHandler(closed -> generation.cancel(false));
    generation.whenComplete(
        LastResort.guarded(
            ctx.response(),
            AnthropicErrors.BODY,
            (result, error) -> {
              if (error == null) {
                answer.complete(result);
                observe(model, 200, started);
                return;
              }
              Throwable cause =
                  error instanceof CompletionException && error.getCause() != null
                      ? error.getCause()
                      : error;
              int status =
                  stream ? answer.streamError(cause) : AnthropicErrors.send(ctx.response(), cause);
              observe(model, status, started);
            }));
  }

  private void countTokens(RoutingContext ctx) {
    long started = System.nanoTime();
    String named = "";
    CompletableFuture<Integer> count;
    try {
      JsonNode body = JsonBodies.object(ctx.body().buffer());
      named = body.path("model").asText("");
      // with the special tokens a generation adds (BOS): the count is the input_tokens it reports
      count =
          engine
              .tokenize(parse(ctx, body, false), true)
              .thenApply(tokens -> tokens.tokens().length);
    } catch (SluiceException e) {
      observe(named, AnthropicErrors.send(ctx.response(), e), started);
      return;
    }
    String model = named;
    count.whenComplete(
        LastResort.guarded(
            ctx.response(),
            AnthropicErrors.BODY,
            (tokens, error) -> {
              if (error != null) {
                observe(model, AnthropicErrors.send(ctx.response(), error), started);
                return;
              }
              HttpReplies.send(
                  ctx.response(),
                  200,
                  "application/json",
                  AnthropicErrors.bytes(
                      JsonBodies.MAPPER.createObjectNode().put("input_tokens", tokens)));
              observe(model, 200, started);
            }));
  }

  /** The body's request, for a model that is in this route's scope and known to the engine. */
  private GenerateRequest parse(RoutingContext ctx, JsonNode body, boolean requireMaxTokens) {
    String named = body.path("model").asText(null);
    if (named == null) {
      throw new InvalidInputException("model: Field required");
    }
    String model = scope.resolve(named);
    engine.metadata(model, null); // unknown or unloaded models fail here, before any stream starts
    return MessagesRequests.parse(
        model, body, ctx.request().getHeader(SluiceHeaders.REVISION), requireMaxTokens);
  }

  private void observe(String model, int status, long started) {
    observer.observe(model, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
  }
}
