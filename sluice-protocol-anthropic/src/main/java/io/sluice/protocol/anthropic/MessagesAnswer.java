package io.sluice.protocol.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest.ToolCall;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.http.ErrorStatus;
import io.sluice.http.HttpReplies;
import io.sluice.http.json.JsonBodies;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One Messages answer: a {@code message} object with its content blocks (text, then a {@code
 * tool_use} block per call), or the same as Anthropic's server-sent events ({@code message_start},
 * {@code content_block_start/delta/stop}, {@code message_delta} with the stop reason and usage,
 * {@code message_stop}). The generation's thread calls {@link #accept}; writes are serialised here.
 */
final class MessagesAnswer {
  private final HttpServerResponse response;
  private final String id = "msg_" + UUID.randomUUID().toString().replace("-", "");
  private final String model;
  private final boolean stream;
  private final List<Object> blocks = new ArrayList<>();
  private StringBuilder openText;
  private Thought openThought;

  /** A thinking block's text (a separate type from a text block's builder). */
  private record Thought(StringBuilder text) {}

  MessagesAnswer(HttpServerResponse response, String model, boolean stream) {
    this.response = response;
    this.model = model;
    this.stream = stream;
  }

  /** Sends the headers, {@code message_start} and a {@code ping}. */
  synchronized void startStream() {
    response
        .setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache");
    ObjectNode start = node().put("type", "message_start");
    ObjectNode message = envelope(start.putObject("message"));
    message.putArray("content");
    message.putNull("stop_reason");
    message.putNull("stop_sequence");
    usage(message, 0, 0);
    event("message_start", start);
    event("ping", node().put("type", "ping"));
  }

  synchronized void accept(GeneratedText piece) {
    if (!piece.reasoning().isEmpty()) {
      closeText();
      if (openThought == null) {
        openThought = new Thought(new StringBuilder());
        blocks.add(openThought);
        if (stream) {
          ObjectNode start = blockEvent("content_block_start");
          start
              .putObject("content_block")
              .put("type", "thinking")
              .put("thinking", "")
              .put("signature", "");
          event("content_block_start", start);
        }
      }
      openThought.text().append(piece.reasoning());
      if (stream) {
        ObjectNode delta = blockEvent("content_block_delta");
        delta.putObject("delta").put("type", "thinking_delta").put("thinking", piece.reasoning());
        event("content_block_delta", delta);
      }
    }
    if (!piece.text().isEmpty()) {
      closeThought();
      if (openText == null) {
        openText = new StringBuilder();
        blocks.add(openText);
        if (stream) {
          ObjectNode start = blockEvent("content_block_start");
          start.putObject("content_block").put("type", "text").put("text", "");
          event("content_block_start", start);
        }
      }
      openText.append(piece.text());
      if (stream) {
        ObjectNode delta = blockEvent("content_block_delta");
        delta.putObject("delta").put("type", "text_delta").put("text", piece.text());
        event("content_block_delta", delta);
      }
    }
    for (ToolCall call : piece.toolCalls()) {
      closeThought();
      closeText();
      ToolCall named =
          new ToolCall(
              call.id() == null
                  ? "toolu_" + UUID.randomUUID().toString().replace("-", "")
                  : call.id(),
              call.name(),
              call.arguments());
      blocks.add(named);
      if (stream) {
        ObjectNode start = blockEvent("content_block_start");
        start
            .putObject("content_block")
            .put("type", "tool_use")
            .put("id", named.id())
            .put("name", named.name())
            .putObject("input");
        event("content_block_start", start);
        ObjectNode delta = blockEvent("content_block_delta");
        delta
            .putObject("delta")
            .put("type", "input_json_delta")
            .put("partial_json", named.arguments());
        event("content_block_delta", delta);
        event("content_block_stop", blockEvent("content_block_stop"));
      }
    }
  }

  /** The generation ended: the closing events, or the whole message. */
  synchronized void complete(GenerateResult result) {
    closeThought();
    closeText();
    if (stream) {
      ObjectNode end = node().put("type", "message_delta");
      ObjectNode delta = end.putObject("delta");
      stopFields(delta, result);
      usage(end, result.promptTokens(), result.completionTokens());
      event("message_delta", end);
      event("message_stop", node().put("type", "message_stop"));
      if (!response.closed() && !response.ended()) {
        response.end();
      }
      return;
    }
    ObjectNode message = envelope(node());
    ArrayNode content = message.putArray("content");
    for (Object block : blocks) {
      if (block instanceof Thought thought) {
        content
            .addObject()
            .put("type", "thinking")
            .put("thinking", thought.text().toString())
            .put("signature", "");
      } else if (block instanceof StringBuilder text) {
        content.addObject().put("type", "text").put("text", text.toString());
      } else if (block instanceof ToolCall call) {
        content
            .addObject()
            .put("type", "tool_use")
            .put("id", call.id())
            .put("name", call.name())
            .set("input", input(call.arguments()));
      }
    }
    stopFields(message, result);
    usage(message, result.promptTokens(), result.completionTokens());
    HttpReplies.send(response, 200, "application/json", AnthropicErrors.bytes(message));
  }

  /** A failure after the stream began: one {@code error} event, then the end. */
  synchronized int streamError(Throwable failure) {
    if (response.closed()) {
      return HttpReplies.CLIENT_CLOSED;
    }
    int status = ErrorStatus.httpStatus(failure);
    if (!response.ended()) {
      response.end(AnthropicErrors.BODY.streamEvent(status, ErrorStatus.message(failure)));
    }
    return status;
  }

  private void closeThought() {
    if (openThought != null) {
      openThought = null;
      if (stream) {
        event("content_block_stop", blockEvent("content_block_stop"));
      }
    }
  }

  private void closeText() {
    if (openText != null) {
      openText = null;
      if (stream) {
        event("content_block_stop", blockEvent("content_block_stop"));
      }
    }
  }

  /**
   * Anthropic's stop reason: a stop sequence, the end of the turn, the token limit, a tool call.
   */
  private static void stopFields(ObjectNode node, GenerateResult result) {
    String reason =
        switch (result.finishReason()) {
          case "length" -> "max_tokens";
          case "tool_calls" -> "tool_use";
          default -> result.stopSequence() != null ? "stop_sequence" : "end_turn";
        };
    node.put("stop_reason", reason);
    if (result.stopSequence() != null) {
      node.put("stop_sequence", result.stopSequence());
    } else {
      node.putNull("stop_sequence");
    }
  }

  private ObjectNode envelope(ObjectNode message) {
    return message
        .put("id", id)
        .put("type", "message")
        .put("role", "assistant")
        .put("model", model);
  }

  private static void usage(ObjectNode node, int input, int output) {
    node.putObject("usage").put("input_tokens", input).put("output_tokens", output);
  }

  private ObjectNode blockEvent(String type) {
    return node().put("type", type).put("index", blocks.size() - 1);
  }

  /** A tool call's arguments as the JSON object Anthropic's {@code input} holds. */
  private static JsonNode input(String arguments) {
    try {
      JsonNode parsed = JsonBodies.MAPPER.readTree(arguments);
      return parsed != null && parsed.isObject() ? parsed : JsonBodies.MAPPER.createObjectNode();
    } catch (IOException e) {
      return JsonBodies.MAPPER.createObjectNode();
    }
  }

  private static ObjectNode node() {
    return JsonBodies.MAPPER.createObjectNode();
  }

  private void event(String name, ObjectNode data) {
    if (!response.closed() && !response.ended()) {
      response.write(
          Buffer.buffer("event: " + name + "\ndata: ")
              .appendBytes(AnthropicErrors.bytes(data))
              .appendString("\n\n"));
    }
  }
}
