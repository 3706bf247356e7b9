package io.sluice.protocol.openai;

import io.sluice.http.SluiceHeaders;
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
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * vLLM's {@code POST /tokenize} ({@code prompt}, or chat {@code messages} rendered by the model's template;
 * answers {@code {count, max_model_len, tokens}}) and {@code POST /detokenize} ({@code tokens}; answers
 * {@code {prompt}}), for models with a tokenizer to offer.
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
    long started = System.nanoTime();
    String model;
    CompletableFuture<ObjectNode> answer;
    try {
      JsonNode body = OpenAiBodies.object(ctx.body().buffer());
      model = model(body);
      boolean chat = body.has("messages");
      ObjectNode request = body.deepCopy();
      request.put("max_tokens", 1);
      GenerateRequest generate = CompletionRequests.parse(model, request, chat, revision(ctx));
      boolean addSpecial = body.path("add_special_tokens").asBoolean(!chat);
      answer = engine.tokenize(generate, addSpecial).thenApply(tokenization -> {
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
      observe("", OpenAiErrors.send(ctx.response(), e), started);
      return;
    }
    reply(ctx, model, answer, started);
  }

  private void detokenize(RoutingContext ctx) {
    long started = System.nanoTime();
    String model;
    CompletableFuture<ObjectNode> answer;
    try {
      JsonNode body = OpenAiBodies.object(ctx.body().buffer());
      model = model(body);
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
      answer = engine.detokenize(model, revision(ctx), tokens)
          .thenApply(text -> OpenAiBodies.MAPPER.createObjectNode().put("prompt", text));
    } catch (SluiceException e) {
      observe("", OpenAiErrors.send(ctx.response(), e), started);
      return;
    }
    reply(ctx, model, answer, started);
  }

  private String model(JsonNode body) {
    String model = body.path("model").asText(null);
    if (model == null) {
      throw new InvalidInputException("you must provide a model parameter");
    }
    scope.check(model);
    return model;
  }

  private static String revision(RoutingContext ctx) {
    return ctx.request().getHeader(SluiceHeaders.REVISION);
  }

  private void reply(RoutingContext ctx, String model, CompletableFuture<ObjectNode> answer, long started) {
    answer.whenComplete(LastResort.guarded(ctx.response(), OpenAiErrors.BODY, (node, error) -> {
      int status;
      if (error != null) {
        status = OpenAiErrors.send(ctx.response(), error);
      } else {
        status = 200;
        try {
          HttpReplies.send(ctx.response(), 200, "application/json", OpenAiBodies.MAPPER.writeValueAsBytes(node));
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
      observe(model, status, started);
    }));
  }

  private void observe(String model, int status, long started) {
    observer.observe(model, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
  }
}
