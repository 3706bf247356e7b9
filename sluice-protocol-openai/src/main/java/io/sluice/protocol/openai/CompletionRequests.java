package io.sluice.protocol.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.http.json.JsonIntegers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An OpenAI chat or completions body as a {@link GenerateRequest}: the fields OpenAI's SDK sends,
 * and the sampling extras vLLM accepts ({@code top_k}, {@code min_p}, {@code repetition_penalty},
 * {@code ignore_eos}).
 */
final class CompletionRequests {
  static final int DEFAULT_MAX_TOKENS = 256;
  private static final int MAX_TOP_LOGPROBS = 20;

  private CompletionRequests() {}

  static GenerateRequest parse(String model, JsonNode body, boolean chat, String revision) {
    Integer requested = JsonIntegers.intField(body, "max_completion_tokens");
    if (requested == null) {
      requested = JsonIntegers.intField(body, "max_tokens");
    }
    int maxTokens = requested == null ? DEFAULT_MAX_TOKENS : requested;
    if (maxTokens < 1) {
      throw new InvalidInputException("max_tokens must be a positive integer");
    }
    Float temperature = number(body, "temperature", 0, 2);
    Float topP = number(body, "top_p", 0, 1);
    Long seed = JsonIntegers.longField(body, "seed");
    List<String> stop = new ArrayList<>();
    JsonNode stopNode = body.get("stop");
    if (stopNode != null && stopNode.isTextual()) {
      stop.add(stopNode.asText());
    } else if (stopNode != null && stopNode.isArray()) {
      stopNode.forEach(s -> stop.add(s.asText()));
    }
    GenerateOptions options = options(body, chat);
    if (chat) {
      JsonNode messages = body.get("messages");
      if (messages == null || !messages.isArray() || messages.isEmpty()) {
        throw new InvalidInputException("messages must be a non-empty array");
      }
      List<GenerateRequest.ChatMessage> turns = new ArrayList<>();
      for (JsonNode message : messages) {
        turns.add(message(message));
      }
      return new GenerateRequest(
          model, revision, null, turns, maxTokens, temperature, topP, stop, seed, options);
    }
    JsonNode prompt = body.get("prompt");
    String text =
        prompt == null
            ? null
            : prompt.isTextual()
                ? prompt.asText()
                : prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()
                    ? prompt.get(0).asText()
                    : null;
    if (text == null) {
      throw new InvalidInputException("prompt must be a string (or an array of one string)");
    }
    return new GenerateRequest(
        model, revision, text, null, maxTokens, temperature, topP, stop, seed, options);
  }

  private static GenerateRequest.ChatMessage message(JsonNode message) {
    String role = message.path("role").asText(null);
    if (role == null) {
      throw new InvalidInputException("every message needs a role");
    }
    List<GenerateRequest.ToolCall> calls = new ArrayList<>();
    for (JsonNode call : message.path("tool_calls")) {
      JsonNode function = call.path("function");
      if (!function.path("name").isTextual()) {
        throw new InvalidInputException("every tool call needs function.name");
      }
      JsonNode arguments = function.path("arguments");
      calls.add(
          new GenerateRequest.ToolCall(
              call.path("id").asText(null),
              function.get("name").asText(),
              arguments.isTextual()
                  ? arguments.asText()
                  : arguments.isMissingNode() ? "{}" : arguments.toString()));
    }
    return new GenerateRequest.ChatMessage(
        role, content(message.get("content")), calls, message.path("tool_call_id").asText(null));
  }

  private static GenerateOptions options(JsonNode body, boolean chat) {
    Integer topK = JsonIntegers.intField(body, "top_k");
    if (topK != null && topK < -1) {
      throw new InvalidInputException("top_k must be -1 (off) or a positive integer");
    }
    if (topK != null && topK == -1) {
      topK = 0;
    }
    Map<Integer, Float> logitBias = new HashMap<>();
    JsonNode bias = body.path("logit_bias");
    for (var it = bias.fields(); it.hasNext(); ) {
      var entry = it.next();
      int token;
      try {
        token = Integer.parseInt(entry.getKey());
      } catch (NumberFormatException e) {
        throw new InvalidInputException(
            "logit_bias keys must be token ids, got '" + entry.getKey() + "'");
      }
      float value = (float) entry.getValue().asDouble();
      if (!entry.getValue().isNumber() || value < -100 || value > 100) {
        throw new InvalidInputException("logit_bias values must lie between -100 and 100");
      }
      logitBias.put(token, value);
    }
    Integer topLogprobs = null;
    if (chat && body.path("logprobs").asBoolean(false)) {
      topLogprobs = JsonIntegers.intField(body, "top_logprobs");
      topLogprobs = topLogprobs == null ? 0 : topLogprobs;
    } else if (chat && body.has("top_logprobs") && !body.get("top_logprobs").isNull()) {
      throw new InvalidInputException("top_logprobs needs logprobs: true");
    } else if (!chat && body.has("logprobs") && !body.get("logprobs").isNull()) {
      topLogprobs = JsonIntegers.intField(body, "logprobs");
    }
    if (topLogprobs != null && (topLogprobs < 0 || topLogprobs > MAX_TOP_LOGPROBS)) {
      throw new InvalidInputException("top_logprobs must lie between 0 and " + MAX_TOP_LOGPROBS);
    }
    List<GenerateOptions.Tool> tools = new ArrayList<>();
    for (JsonNode tool : body.path("tools")) {
      JsonNode function = tool.path("function");
      if (!"function".equals(tool.path("type").asText("function"))
          || !function.path("name").isTextual()) {
        throw new InvalidInputException(
            "every tool must be {\"type\": \"function\", \"function\": {\"name\": ...}}");
      }
      JsonNode parameters = function.path("parameters");
      tools.add(
          new GenerateOptions.Tool(
              function.get("name").asText(),
              function.path("description").asText(null),
              parameters.isObject()
                  ? parameters.toString()
                  : "{\"type\":\"object\",\"properties\":{}}"));
    }
    String toolChoice = null;
    JsonNode choice = body.get("tool_choice");
    if (choice != null && choice.isTextual()) {
      toolChoice = choice.asText();
      if (!List.of("none", "auto", "required").contains(toolChoice)) {
        throw new InvalidInputException(
            "tool_choice must be none, auto, required or {\"type\": \"function\", ...}");
      }
    } else if (choice != null && choice.isObject()) {
      toolChoice = choice.path("function").path("name").asText(null);
      if (toolChoice == null) {
        throw new InvalidInputException("tool_choice needs function.name");
      }
    }
    if (toolChoice != null && !toolChoice.equals("none") && tools.isEmpty()) {
      throw new InvalidInputException("tool_choice needs tools");
    }
    return new GenerateOptions(
        topK,
        number(body, "min_p", 0, 1),
        number(body, "repetition_penalty", 0.01f, 10),
        number(body, "frequency_penalty", -2, 2),
        number(body, "presence_penalty", -2, 2),
        logitBias,
        responseFormat(body.get("response_format")),
        topLogprobs,
        body.path("ignore_eos").asBoolean(false),
        tools,
        toolChoice,
        templateArguments(body.get("chat_template_kwargs")));
  }

  /** vLLM's {@code chat_template_kwargs}: extra variables for the chat template, as JSON text. */
  private static String templateArguments(JsonNode arguments) {
    if (arguments == null || arguments.isNull()) {
      return null;
    }
    if (!arguments.isObject()) {
      throw new InvalidInputException("chat_template_kwargs must be an object");
    }
    return arguments.toString();
  }

  private static GenerateOptions.ResponseFormat responseFormat(JsonNode format) {
    if (format == null || format.isNull()) {
      return GenerateOptions.ResponseFormat.TEXT;
    }
    String type = format.path("type").asText("");
    return switch (type) {
      case "text" -> GenerateOptions.ResponseFormat.TEXT;
      case "json_object" -> new GenerateOptions.ResponseFormat(type, null);
      case "json_schema" -> {
        JsonNode schema = format.path("json_schema").path("schema");
        if (!schema.isObject()) {
          throw new InvalidInputException(
              "response_format json_schema needs json_schema.schema, a JSON Schema object");
        }
        yield new GenerateOptions.ResponseFormat(type, schema.toString());
      }
      default ->
          throw new InvalidInputException(
              "response_format.type must be text, json_object or json_schema");
    };
  }

  private static Float number(JsonNode body, String field, float min, float max) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber()) {
      throw new InvalidInputException(field + " must be a number");
    }
    float value = (float) node.asDouble();
    if (value < min || value > max) {
      throw new InvalidInputException(
          field + " must lie between " + trim(min) + " and " + trim(max));
    }
    return value;
  }

  private static String trim(float value) {
    return value == (int) value ? Integer.toString((int) value) : Float.toString(value);
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

  static String json(Object value) {
    try {
      return OpenAiBodies.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
