package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.http.ErrorStatus;
import io.sluice.http.HttpReplies;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One chat or text completion being answered: {@code n} choices, whole or as server-sent events,
 * with log-probabilities and tool calls in OpenAI's shapes. Choices generate on their own threads;
 * writes are serialised here so events never interleave.
 */
final class CompletionAnswer {
  private final HttpServerResponse response;
  private final String model;
  private final String id;
  private final long created;
  private final boolean chat;
  private final boolean stream;
  private final boolean logprobs;
  private final List<Choice> choices = new ArrayList<>();

  /**
   * Fields beyond OpenAI's on every chunk and on the whole answer, e.g. a retrieval pipeline's
   * {@code citations}.
   */
  private final Map<String, com.fasterxml.jackson.databind.JsonNode> extras =
      new java.util.LinkedHashMap<>();

  private static final class Choice {
    final StringBuilder text = new StringBuilder();
    final StringBuilder reasoning = new StringBuilder();
    final List<GeneratedText.TokenLogprob> logprobs = new ArrayList<>();
    final List<GenerateRequest.ToolCall> toolCalls = new ArrayList<>();
  }

  CompletionAnswer(
      HttpServerResponse response,
      String model,
      String id,
      long created,
      boolean chat,
      int n,
      boolean stream,
      boolean logprobs) {
    this.response = response;
    this.model = model;
    this.id = id;
    this.created = created;
    this.chat = chat;
    this.stream = stream;
    this.logprobs = logprobs;
    for (int i = 0; i < n; i++) {
      choices.add(new Choice());
    }
  }

  /**
   * Adds a top-level field to every chunk and to the whole answer; call before the answer starts.
   */
  synchronized CompletionAnswer with(String field, com.fasterxml.jackson.databind.JsonNode value) {
    extras.put(field, value);
    return this;
  }

  /** Where choice {@code index}'s generated text goes. */
  Consumer<GeneratedText> sink(int index) {
    return piece -> accept(index, piece);
  }

  synchronized void startStream() {
    response
        .setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache");
    if (chat) {
      for (int index = 0; index < choices.size(); index++) {
        ObjectNode first = chunk(index);
        delta(first).put("role", "assistant").put("content", "");
        event(first);
      }
    }
  }

  private synchronized void accept(int index, GeneratedText piece) {
    Choice choice = choices.get(index);
    if (!stream) {
      choice.reasoning.append(piece.reasoning());
      choice.text.append(piece.text());
      choice.logprobs.addAll(piece.logprobs());
      choice.toolCalls.addAll(piece.toolCalls());
      return;
    }
    if (chat && !piece.reasoning().isEmpty()) {
      ObjectNode node = chunk(index);
      delta(node).put("reasoning_content", piece.reasoning());
      event(node);
    }
    if (!piece.text().isEmpty() || !piece.logprobs().isEmpty()) {
      ObjectNode node = chunk(index);
      if (chat) {
        delta(node).put("content", piece.text());
      } else {
        choiceNode(node).put("text", piece.text());
      }
      if (logprobs && !piece.logprobs().isEmpty()) {
        choiceNode(node).set("logprobs", logprobsNode(piece.logprobs(), choice.text.length()));
      }
      choice.text.append(piece.text());
      event(node);
    }
    for (GenerateRequest.ToolCall call : piece.toolCalls()) {
      ObjectNode node = chunk(index);
      ArrayNode calls = delta(node).putArray("tool_calls");
      toolCall(calls.addObject().put("index", choice.toolCalls.size()), call);
      choice.toolCalls.add(call);
      event(node);
    }
  }

  /** Choice {@code index} ended: its finishing event when streaming. */
  synchronized void finished(int index, GenerateResult result) {
    if (stream) {
      ObjectNode node = chunk(index);
      if (chat) {
        delta(node);
      } else {
        choiceNode(node).put("text", "");
      }
      choiceNode(node).put("finish_reason", result.finishReason());
      event(node);
    }
  }

  /** Every choice ended: the usage event and {@code [DONE]}, or the whole answer. */
  synchronized void complete(List<GenerateResult> results, boolean includeUsage) {
    if (stream) {
      if (includeUsage) {
        ObjectNode usage = envelope();
        usage.putArray("choices");
        usage.set("usage", usage(results));
        event(usage);
      }
      write("data: [DONE]\n\n");
      if (!response.closed() && !response.ended()) {
        response.end();
      }
      return;
    }
    ObjectNode node = envelope();
    ArrayNode array = node.putArray("choices");
    for (int index = 0; index < choices.size(); index++) {
      Choice choice = choices.get(index);
      ObjectNode entry = array.addObject().put("index", index);
      if (chat) {
        ObjectNode message = entry.putObject("message").put("role", "assistant");
        if (!choice.reasoning.isEmpty()) {
          message.put("reasoning_content", choice.reasoning.toString());
        }
        if (choice.toolCalls.isEmpty() || !choice.text.isEmpty()) {
          message.put("content", choice.text.toString());
        } else {
          message.putNull("content");
        }
        if (!choice.toolCalls.isEmpty()) {
          ArrayNode calls = message.putArray("tool_calls");
          choice.toolCalls.forEach(call -> toolCall(calls.addObject(), call));
        }
      } else {
        entry.put("text", choice.text.toString());
      }
      if (logprobs) {
        entry.set("logprobs", logprobsNode(choice.logprobs, 0));
      } else {
        entry.putNull("logprobs");
      }
      entry.put("finish_reason", results.get(index).finishReason());
    }
    node.set("usage", usage(results));
    try {
      HttpReplies.send(
          response, 200, "application/json", OpenAiBodies.MAPPER.writeValueAsBytes(node));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * An error after the stream began: one {@code {"error": ...}} event, as the SDKs expect, then the
   * end.
   */
  synchronized int streamError(Throwable failure) {
    if (response.closed()) {
      return HttpReplies.CLIENT_CLOSED;
    }
    int status = ErrorStatus.httpStatus(failure);
    write(
        "data: "
            + new String(
                OpenAiErrors.event(status, ErrorStatus.message(failure), null),
                StandardCharsets.UTF_8)
            + "\n\n");
    if (!response.ended()) {
      response.end();
    }
    return status;
  }

  private ObjectNode envelope() {
    ObjectNode node = OpenAiBodies.MAPPER.createObjectNode();
    node.put("id", id);
    node.put(
        "object",
        chat ? (stream ? "chat.completion.chunk" : "chat.completion") : "text_completion");
    node.put("created", created);
    node.put("model", model);
    extras.forEach(node::set);
    return node;
  }

  private ObjectNode chunk(int index) {
    ObjectNode node = envelope();
    ObjectNode choice = node.putArray("choices").addObject();
    choice.put("index", index);
    if (chat) {
      choice.putObject("delta");
    }
    choice.putNull("logprobs");
    choice.putNull("finish_reason");
    return node;
  }

  private static ObjectNode choiceNode(ObjectNode chunk) {
    return (ObjectNode) chunk.get("choices").get(0);
  }

  private static ObjectNode delta(ObjectNode chunk) {
    return (ObjectNode) choiceNode(chunk).get("delta");
  }

  private static void toolCall(ObjectNode node, GenerateRequest.ToolCall call) {
    node.put("id", call.id()).put("type", "function");
    node.putObject("function").put("name", call.name()).put("arguments", call.arguments());
  }

  /**
   * Chat's {@code {"content": [...]}} or completions' {@code
   * tokens/token_logprobs/top_logprobs/text_offset}.
   */
  private ObjectNode logprobsNode(List<GeneratedText.TokenLogprob> tokens, int offset) {
    ObjectNode node = OpenAiBodies.MAPPER.createObjectNode();
    if (chat) {
      ArrayNode content = node.putArray("content");
      for (GeneratedText.TokenLogprob token : tokens) {
        ObjectNode entry =
            content.addObject().put("token", token.token()).put("logprob", token.logprob());
        bytes(entry.putArray("bytes"), token.bytes());
        ArrayNode top = entry.putArray("top_logprobs");
        for (GeneratedText.Alternative alternative : token.top()) {
          ObjectNode option =
              top.addObject()
                  .put("token", alternative.token())
                  .put("logprob", alternative.logprob());
          bytes(option.putArray("bytes"), alternative.bytes());
        }
      }
      return node;
    }
    ArrayNode texts = node.putArray("tokens");
    ArrayNode values = node.putArray("token_logprobs");
    ArrayNode tops = node.putArray("top_logprobs");
    ArrayNode offsets = node.putArray("text_offset");
    int at = offset;
    for (GeneratedText.TokenLogprob token : tokens) {
      texts.add(token.token());
      values.add(token.logprob());
      ObjectNode top = tops.addObject();
      token.top().forEach(alternative -> top.put(alternative.token(), alternative.logprob()));
      offsets.add(at);
      at += token.token().length();
    }
    return node;
  }

  private static void bytes(ArrayNode array, byte[] bytes) {
    for (byte b : bytes) {
      array.add(b & 0xFF);
    }
  }

  private static ObjectNode usage(List<GenerateResult> results) {
    int prompt = results.isEmpty() ? 0 : results.getFirst().promptTokens();
    int completion = results.stream().mapToInt(GenerateResult::completionTokens).sum();
    ObjectNode usage = OpenAiBodies.MAPPER.createObjectNode();
    usage.put("prompt_tokens", prompt);
    usage.put("completion_tokens", completion);
    usage.put("total_tokens", prompt + completion);
    return usage;
  }

  private void event(ObjectNode node) {
    try {
      write("data: " + OpenAiBodies.MAPPER.writeValueAsString(node) + "\n\n");
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
