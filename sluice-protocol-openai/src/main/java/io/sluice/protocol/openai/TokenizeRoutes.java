package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
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
import java.util.concurrent.CompletableFuture;

/**
 * vLLM's {@code POST /tokenize} ({@code prompt}, or chat {@code messages} rendered by the model's
 * template; answers {@code {count, max_model_len, tokens}}) and {@code POST /detokenize} ({@code
 * tokens}; answers {@code {prompt}}), for models with a tokenizer to offer.
 */
public final class TokenizeRoutes {
  private static final String PROTOCOL = "openai";

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  public TokenizeRoutes(EngineClient engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  public void mount(Router router) {
    router.post("/tokenize").handler(this::tokenize);
    router.post("/detokenize").handler(this::detokenize);
  }

  private void tokenize(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    String model;
    CompletableFuture<ObjectNode> answer;
    try {
      JsonNode body = call.body();
      model = call.model(body, scope);
      boolean chat = body.has("messages");
      ObjectNode request = body.deepCopy();
      request.put("max_tokens", 1);
      GenerateRequest generate = CompletionRequests.parse(model, request, chat, revision(ctx));
      boolean addSpecial = body.path("add_special_tokens").asBoolean(!chat);
      answer =
          engine
              .tokenize(generate, addSpecial)
              .thenApply(
                  tokenization -> {
                    ObjectNode node = OpenAiBodies.MAPPER.createObjectNode();
                    node.put("count", tokenization.tokens().length);
                    node.put("max_model_len", tokenization.maxModelLength());
                    var tokens = node.putArray("tokens");
                    for (int token : tokenization.tokens()) {
                      tokens.add(token);
                    }
                    return node;
                  });
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    reply(call, answer);
  }

  private void detokenize(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    String model;
    CompletableFuture<ObjectNode> answer;
    try {
      JsonNode body = call.body();
      model = call.model(body, scope);
      JsonNode ids = body.get("tokens");
      if (ids == null || !ids.isArray()) {
        throw new InvalidInputException("tokens must be an array of token ids");
      }
      int[] tokens = new int[ids.size()];
      for (int i = 0; i < tokens.length; i++) {
        if (!ids.get(i).canConvertToInt()) {
          throw new InvalidInputException("tokens must be an array of token ids");
        }
        tokens[i] = ids.get(i).asInt();
      }
      answer =
          engine
              .detokenize(model, revision(ctx), tokens)
              .thenApply(text -> OpenAiBodies.MAPPER.createObjectNode().put("prompt", text));
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    reply(call, answer);
  }

  private static String revision(RoutingContext ctx) {
    return ctx.request().getHeader(SluiceHeaders.REVISION);
  }

  private static void reply(OpenAiCall call, CompletableFuture<ObjectNode> answer) {
    answer.whenComplete(
        LastResort.guarded(
            call.response(),
            OpenAiErrors.BODY,
            (node, error) -> {
              if (error != null) {
                call.fail(error);
                return;
              }
              try {
                HttpReplies.send(
                    call.response(),
                    200,
                    "application/json",
                    OpenAiBodies.MAPPER.writeValueAsBytes(node));
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              call.observe(200);
            }));
  }
}
