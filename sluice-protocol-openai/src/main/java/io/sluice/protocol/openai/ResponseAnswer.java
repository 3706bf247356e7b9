package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest.ToolCall;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.http.ErrorStatus;
import io.sluice.http.HttpReplies;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.util.UUID;

/**
 * One Responses API answer: a {@code response} object whose {@code output} holds a {@code message}
 * item with an {@code output_text} part and a {@code function_call} item per call, or the same
 * built event by event ({@code response.created}, {@code response.output_item.added}, {@code
 * response.content_part.added}, {@code response.output_text.delta}, {@code
 * response.function_call_arguments.delta}, their {@code .done} events, then {@code
 * response.completed} or {@code response.incomplete}), each with its {@code sequence_number}.
 */
final class ResponseAnswer {
  private final HttpServerResponse response;
  private final ObjectNode object;
  private final ArrayNode output;
  private final boolean stream;
  private int sequence;
  private ObjectNode openMessage;
  private StringBuilder openText;
  private ObjectNode openReasoning;
  private StringBuilder openThought;

  /**
   * {@code echo} holds the request's fields a response repeats ({@code instructions}, {@code
   * tools}...).
   */
  ResponseAnswer(
      HttpServerResponse response, String id, String model, ObjectNode echo, boolean stream) {
    this.response = response;
    this.stream = stream;
    object = OpenAiBodies.MAPPER.createObjectNode();
    object
        .put("id", id)
        .put("object", "response")
        .put("created_at", System.currentTimeMillis() / 1000)
        .put("status", "in_progress")
        .putNull("error")
        .putNull("incomplete_details")
        .put("model", model);
    output = object.putArray("output");
    object.setAll(echo);
    object.putNull("usage");
  }

  static String newId(String prefix) {
    return prefix + UUID.randomUUID().toString().replace("-", "");
  }

  synchronized void startStream() {
    response
        .setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache");
    event("response.created", node().set("response", object.deepCopy()));
    event("response.in_progress", node().set("response", object.deepCopy()));
  }

  synchronized void accept(GeneratedText piece) {
    if (!piece.reasoning().isEmpty()) {
      closeMessage();
      if (openReasoning == null) {
        openReasoning =
            node().put("id", newId("rs_")).put("type", "reasoning").put("status", "in_progress");
        openReasoning.putArray("summary");
        openReasoning.putArray("content");
        openThought = new StringBuilder();
        output.add(openReasoning);
        if (stream) {
          event("response.output_item.added", itemEvent(openReasoning.deepCopy()));
          event(
              "response.content_part.added",
              thoughtEvent().set("part", part("reasoning_text", "")));
        }
      }
      openThought.append(piece.reasoning());
      if (stream) {
        event("response.reasoning_text.delta", thoughtEvent().put("delta", piece.reasoning()));
      }
    }
    if (!piece.text().isEmpty()) {
      closeReasoning();
      if (openMessage == null) {
        openMessage =
            node()
                .put("id", newId("msg_"))
                .put("type", "message")
                .put("status", "in_progress")
                .put("role", "assistant");
        openMessage.putArray("content");
        openText = new StringBuilder();
        output.add(openMessage);
        if (stream) {
          event("response.output_item.added", itemEvent(openMessage.deepCopy()));
          event("response.content_part.added", partEvent().set("part", textPart("")));
        }
      }
      openText.append(piece.text());
      if (stream) {
        ObjectNode delta = partEvent().put("delta", piece.text());
        delta.putArray("logprobs");
        event("response.output_text.delta", delta);
      }
    }
    for (ToolCall call : piece.toolCalls()) {
      closeReasoning();
      closeMessage();
      ObjectNode item =
          node()
              .put("id", newId("fc_"))
              .put("type", "function_call")
              .put("status", "in_progress")
              .put("call_id", call.id() == null ? newId("call_") : call.id())
              .put("name", call.name())
              .put("arguments", "");
      output.add(item);
      if (stream) {
        event("response.output_item.added", itemEvent(item.deepCopy()));
        event(
            "response.function_call_arguments.delta", itemRef(item).put("delta", call.arguments()));
        event(
            "response.function_call_arguments.done",
            itemRef(item).put("name", call.name()).put("arguments", call.arguments()));
      }
      item.put("arguments", call.arguments()).put("status", "completed");
      if (stream) {
        event("response.output_item.done", itemEvent(item.deepCopy()));
      }
    }
  }

  /** The generation ended: the finished response object (also sent, when streaming). */
  synchronized ObjectNode complete(GenerateResult result) {
    closeReasoning();
    closeMessage();
    boolean incomplete = result.finishReason().equals("length");
    object.put("status", incomplete ? "incomplete" : "completed");
    if (incomplete) {
      object.putObject("incomplete_details").put("reason", "max_output_tokens");
    }
    ObjectNode usage = object.putObject("usage");
    usage.put("input_tokens", result.promptTokens());
    usage.putObject("input_tokens_details").put("cached_tokens", 0);
    usage.put("output_tokens", result.completionTokens());
    usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
    usage.put("total_tokens", result.promptTokens() + result.completionTokens());
    if (stream) {
      event(
          incomplete ? "response.incomplete" : "response.completed",
          node().set("response", object));
      if (!response.closed() && !response.ended()) {
        response.end();
      }
    } else {
      try {
        HttpReplies.send(
            response, 200, "application/json", OpenAiBodies.MAPPER.writeValueAsBytes(object));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    return object;
  }

  /** The output's text and calls as the assistant's chat message, for the stored conversation. */
  synchronized ObjectNode asChatMessage() {
    ObjectNode message = node().put("role", "assistant");
    StringBuilder text = new StringBuilder();
    ArrayNode calls = OpenAiBodies.MAPPER.createArrayNode();
    for (JsonNode item : output) {
      if (item.path("type").asText().equals("message")) {
        item.path("content").forEach(part -> text.append(part.path("text").asText()));
      } else if (item.path("type").asText().equals("function_call")) {
        ObjectNode call = calls.addObject().put("id", item.get("call_id").asText());
        call.put("type", "function");
        call.putObject("function")
            .put("name", item.get("name").asText())
            .put("arguments", item.get("arguments").asText());
      }
    }
    message.put("content", text.toString());
    if (!calls.isEmpty()) {
      message.set("tool_calls", calls);
    }
    return message;
  }

  /** A failure after the stream began: OpenAI's error event, then the end. */
  synchronized int streamError(Throwable failure) {
    if (response.closed()) {
      return HttpReplies.CLIENT_CLOSED;
    }
    int status = ErrorStatus.httpStatus(failure);
    if (!response.ended()) {
      response.end(
          "data: "
              + new String(
                  OpenAiErrors.event(status, ErrorStatus.message(failure), null),
                  java.nio.charset.StandardCharsets.UTF_8)
              + "\n\n");
    }
    return status;
  }

  private void closeMessage() {
    if (openMessage == null) {
      return;
    }
    ObjectNode part = textPart(openText.toString());
    ((ArrayNode) openMessage.get("content")).add(part);
    openMessage.put("status", "completed");
    if (stream) {
      ObjectNode done = partEvent().put("text", openText.toString());
      done.putArray("logprobs");
      event("response.output_text.done", done);
      event("response.content_part.done", partEvent().set("part", part.deepCopy()));
      event("response.output_item.done", itemEvent(openMessage.deepCopy()));
    }
    openMessage = null;
    openText = null;
  }

  private void closeReasoning() {
    if (openReasoning == null) {
      return;
    }
    ObjectNode part = part("reasoning_text", openThought.toString());
    ((ArrayNode) openReasoning.get("content")).add(part);
    openReasoning.put("status", "completed");
    if (stream) {
      event("response.reasoning_text.done", thoughtEvent().put("text", openThought.toString()));
      event("response.content_part.done", thoughtEvent().set("part", part.deepCopy()));
      event("response.output_item.done", itemEvent(openReasoning.deepCopy()));
    }
    openReasoning = null;
    openThought = null;
  }

  private ObjectNode thoughtEvent() {
    return itemRef(openReasoning).put("content_index", 0);
  }

  private static ObjectNode part(String type, String text) {
    return node().put("type", type).put("text", text);
  }

  private static ObjectNode textPart(String text) {
    ObjectNode part = node().put("type", "output_text").put("text", text);
    part.putArray("annotations");
    part.putArray("logprobs");
    return part;
  }

  private ObjectNode itemEvent(ObjectNode item) {
    ObjectNode event = node().put("output_index", output.size() - 1);
    event.set("item", item);
    return event;
  }

  private ObjectNode itemRef(ObjectNode item) {
    return node().put("item_id", item.get("id").asText()).put("output_index", output.size() - 1);
  }

  private ObjectNode partEvent() {
    return itemRef(openMessage).put("content_index", 0);
  }

  private static ObjectNode node() {
    return OpenAiBodies.MAPPER.createObjectNode();
  }

  private void event(String type, ObjectNode data) {
    ObjectNode event = node().put("type", type).put("sequence_number", sequence++);
    event.setAll(data);
    if (!response.closed() && !response.ended()) {
      try {
        response.write(
            "event: " + type + "\ndata: " + OpenAiBodies.MAPPER.writeValueAsString(event) + "\n\n");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
