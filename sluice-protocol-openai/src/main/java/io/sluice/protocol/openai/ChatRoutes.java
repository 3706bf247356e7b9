package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InvalidInputException;
import io.sluice.api.SluiceException;
import io.sluice.engine.Engine;
import io.sluice.protocol.kserve.http.ErrorStatus;
import io.sluice.protocol.kserve.http.HttpReplies;
import io.sluice.protocol.kserve.http.LastResort;
import io.sluice.protocol.kserve.http.ModelScope;
import io.sluice.protocol.kserve.http.RequestObserver;
import io.sluice.protocol.kserve.v2.V2RestRoutes;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/chat/completions} and {@code /v1/completions}, JSON or server-sent events
 * ({@code stream: true}; {@code chat.completion.chunk} events, usage last with
 * {@code stream_options.include_usage}, then {@code data: [DONE]}). A client that disconnects stops its
 * generation.
 */
public final class ChatRoutes {
  private static final String PROTOCOL = "openai";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int DEFAULT_MAX_TOKENS = 256;

  private final Engine engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  public ChatRoutes(Engine engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  /** The whole route table. */
  public void mount(Router router) {
    router.post("/v1/chat/completions").handler(ctx -> complete(ctx, true));
    router.post("/v1/completions").handler(ctx -> complete(ctx, false));
  }

  private void complete(RoutingContext ctx, boolean chat) {
    long started = System.nanoTime();
    JsonNode body;
    GenerateRequest request;
    try {
      body = OpenAiBodies.object(ctx.body().buffer());
      String model = body.path("model").asText(null);
      if (model == null) {
        throw new InvalidInputException("you must provide a model parameter");
      }
      scope.check(model);
      engine.metadata(model, null); // unknown or unloaded models fail here, before any stream starts
      if (body.path("n").asInt(1) != 1) {
        throw new InvalidInputException("n must be 1");
      }
      request = request(model, body, chat, ctx.request().getHeader(V2RestRoutes.REVISION_HEADER));
    } catch (SluiceException e) {
      int status = OpenAiErrors.send(ctx.response(), e);
      observer.observe("", PROTOCOL, Integer.toString(status), System.nanoTime() - started);
      return;
    }
    String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    long created = System.currentTimeMillis() / 1000;
    Completion completion = new Completion(ctx.response(), request.model(), id, created, chat);
    boolean stream = body.path("stream").asBoolean(false);
    boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
    if (stream) {
      completion.startStream();
    }
    CompletableFuture<GenerateResult> generation =
        engine.generate(request, stream ? completion::streamText : completion::collect);
    ctx.response().closeHandler(closed -> generation.cancel(false)); // the client went away: stop generating
    generation.whenComplete(LastResort.guarded(ctx.response(), OpenAiErrors.BODY, (result, error) -> {
      int status;
      if (error != null) {
        status = stream ? completion.streamError(error) : OpenAiErrors.send(ctx.response(), error);
      } else {
        status = 200;
        if (stream) {
          completion.endStream(result, includeUsage);
        } else {
          completion.sendWhole(result);
        }
      }
      observer.observe(request.model(), PROTOCOL, Integer.toString(status), System.nanoTime() - started);
    }));
  }

  static GenerateRequest request(String model, JsonNode body, boolean chat, String revision) {
    int maxTokens = body.has("max_completion_tokens") ? body.get("max_completion_tokens").asInt(-1)
        : body.has("max_tokens") ? body.get("max_tokens").asInt(-1) : DEFAULT_MAX_TOKENS;
    if (maxTokens < 1) {
      throw new InvalidInputException("max_tokens must be a positive integer");
    }
    Float temperature = body.has("temperature") ? (float) body.get("temperature").asDouble() : null;
    if (temperature != null && (temperature < 0 || temperature > 2)) {
      throw new InvalidInputException("temperature must lie between 0 and 2");
    }
    Float topP = body.has("top_p") ? (float) body.get("top_p").asDouble() : null;
    Long seed = body.has("seed") && body.get("seed").canConvertToLong() ? body.get("seed").asLong() : null;
    List<String> stop = new ArrayList<>();
    JsonNode stopNode = body.get("stop");
    if (stopNode != null && stopNode.isTextual()) {
      stop.add(stopNode.asText());
    } else if (stopNode != null && stopNode.isArray()) {
      stopNode.forEach(s -> stop.add(s.asText()));
    }
    if (chat) {
      JsonNode messages = body.get("messages");
      if (messages == null || !messages.isArray() || messages.isEmpty()) {
        throw new InvalidInputException("messages must be a non-empty array");
      }
      List<GenerateRequest.ChatMessage> turns = new ArrayList<>();
      for (JsonNode message : messages) {
        String role = message.path("role").asText(null);
        if (role == null) {
          throw new InvalidInputException("every message needs a role");
        }
        turns.add(new GenerateRequest.ChatMessage(role, content(message.get("content"))));
      }
      return new GenerateRequest(model, revision, null, turns, maxTokens, temperature, topP, stop, seed);
    }
    JsonNode prompt = body.get("prompt");
    String text = prompt == null ? null : prompt.isTextual() ? prompt.asText()
        : prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual() ? prompt.get(0).asText() : null;
    if (text == null) {
      throw new InvalidInputException("prompt must be a string (or an array of one string)");
    }
    return new GenerateRequest(model, revision, text, null, maxTokens, temperature, topP, stop, seed);
  }

  /** A message's content: a string, or the text parts of an array of content parts. */
  private static String content(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      if (!"text".equals(part.path("type").asText())) {
        throw new InvalidInputException("only text content parts are supported");
      }
      text.append(part.path("text").asText());
    }
    return text.toString();
  }


  /** One answer being written: whole, or as a stream of events. */
  private static final class Completion {
    private final HttpServerResponse response;
    private final String model;
    private final String id;
    private final long created;
    private final boolean chat;
    private final StringBuilder text = new StringBuilder();

    Completion(HttpServerResponse response, String model, String id, long created, boolean chat) {
      this.response = response;
      this.model = model;
      this.id = id;
      this.created = created;
      this.chat = chat;
    }

    private ObjectNode envelope(String object) {
      ObjectNode node = MAPPER.createObjectNode();
      node.put("id", id);
      node.put("object", object);
      node.put("created", created);
      node.put("model", model);
      return node;
    }

    void startStream() {
      response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
      if (chat) {
        ObjectNode first = chunk(null, null);
        ((ObjectNode) first.get("choices").get(0).get("delta")).put("role", "assistant").put("content", "");
        event(first);
      }
    }

    void collect(String piece) {
      synchronized (text) {
        text.append(piece);
      }
    }

    void streamText(String piece) {
      event(chunk(piece, null));
    }

    private ObjectNode chunk(String piece, String finishReason) {
      ObjectNode node = envelope(chat ? "chat.completion.chunk" : "text_completion");
      ObjectNode choice = node.putArray("choices").addObject();
      choice.put("index", 0);
      if (chat) {
        ObjectNode delta = choice.putObject("delta");
        if (piece != null) {
          delta.put("content", piece);
        }
      } else {
        choice.put("text", piece == null ? "" : piece);
      }
      choice.putNull("logprobs");
      if (finishReason == null) {
        choice.putNull("finish_reason");
      } else {
        choice.put("finish_reason", finishReason);
      }
      return node;
    }

    void endStream(GenerateResult result, boolean includeUsage) {
      event(chunk(null, result.finishReason()));
      if (includeUsage) {
        ObjectNode usage = envelope(chat ? "chat.completion.chunk" : "text_completion");
        usage.putArray("choices");
        usage.set("usage", usage(result));
        event(usage);
      }
      write("data: [DONE]\n\n");
      if (!response.closed() && !response.ended()) {
        response.end();
      }
    }

    /** An error after the stream began: one {@code {"error": ...}} event, as the SDKs expect, then the end. */
    int streamError(Throwable failure) {
      if (response.closed()) {
        return HttpReplies.CLIENT_CLOSED;
      }
      int status = ErrorStatus.httpStatus(failure);
      write("data: " + new String(OpenAiErrors.event(status, ErrorStatus.message(failure), null), StandardCharsets.UTF_8)
          + "\n\n");
      if (!response.ended()) {
        response.end();
      }
      return status;
    }

    void sendWhole(GenerateResult result) {
      ObjectNode node = envelope(chat ? "chat.completion" : "text_completion");
      ObjectNode choice = node.putArray("choices").addObject();
      choice.put("index", 0);
      if (chat) {
        choice.putObject("message").put("role", "assistant").put("content", collected());
      } else {
        choice.put("text", collected());
      }
      choice.putNull("logprobs");
      choice.put("finish_reason", result.finishReason());
      node.set("usage", usage(result));
      try {
        HttpReplies.send(response, 200, "application/json", MAPPER.writeValueAsBytes(node));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private String collected() {
      synchronized (text) {
        return text.toString();
      }
    }

    private static ObjectNode usage(GenerateResult result) {
      ObjectNode usage = MAPPER.createObjectNode();
      usage.put("prompt_tokens", result.promptTokens());
      usage.put("completion_tokens", result.completionTokens());
      usage.put("total_tokens", result.promptTokens() + result.completionTokens());
      return usage;
    }

    private void event(ObjectNode node) {
      try {
        write("data: " + MAPPER.writeValueAsString(node) + "\n\n");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private void write(String text) {
      if (!response.closed() && !response.ended()) {
        response.write(text);
      }
    }
  }
}
