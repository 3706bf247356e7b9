package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateRequest;
import io.sluice.http.json.JsonIntegers;

/**
 * A Responses API body as the chat completion it asks for: {@code instructions} as the system
 * message, the stored conversation of {@code previous_response_id}, then the {@code input} items
 * (messages, {@code function_call} and {@code function_call_output}); flat function {@code tools},
 * {@code tool_choice} and {@code text.format} in chat's nesting. The chat body is then read by
 * {@link CompletionRequests}, so both APIs sample alike.
 */
final class ResponsesRequests {
  private ResponsesRequests() {}

  /** A turn: the request, and the conversation it continues plus its own input (no system). */
  record Turn(GenerateRequest request, ArrayNode conversation) {}

  static Turn parse(String model, JsonNode body, ArrayNode previous, String revision) {
    ObjectNode chat = OpenAiBodies.MAPPER.createObjectNode();
    chat.put("model", model);
    Integer maxTokens = JsonIntegers.intField(body, "max_output_tokens");
    if (maxTokens != null && maxTokens < 1) {
      throw new InvalidParameterException(
          "max_output_tokens", "integer_below_min_value", "max_output_tokens must be at least 1");
    }
    if (maxTokens != null) {
      chat.put("max_tokens", maxTokens);
    }
    copy(body, chat, "temperature");
    copy(body, chat, "top_p");
    copy(body, chat, "top_k");
    copy(body, chat, "seed");
    ArrayNode conversation =
        previous == null ? OpenAiBodies.MAPPER.createArrayNode() : previous.deepCopy();
    input(body.get("input"), conversation);
    ArrayNode messages = chat.putArray("messages");
    JsonNode instructions = body.get("instructions");
    if (instructions != null && instructions.isTextual()) {
      messages.addObject().put("role", "system").put("content", instructions.asText());
    }
    messages.addAll(conversation);
    tools(body, chat);
    JsonNode format = body.path("text").path("format");
    if (format.isObject()) {
      ObjectNode responseFormat = chat.putObject("response_format");
      responseFormat.put("type", format.path("type").asText(""));
      if (format.has("schema")) {
        responseFormat.putObject("json_schema").set("schema", format.get("schema"));
      }
    }
    return new Turn(CompletionRequests.parse(model, chat, true, revision), conversation);
  }

  private static void input(JsonNode input, ArrayNode conversation) {
    if (input == null || input.isNull()) {
      throw new InvalidParameterException("input", null, "input is required");
    }
    if (input.isTextual()) {
      conversation.addObject().put("role", "user").put("content", input.asText());
      return;
    }
    if (!input.isArray()) {
      throw new InvalidParameterException("input", null, "input must be a string or an array");
    }
    for (int index = 0; index < input.size(); index++) {
      item(input.get(index), "input[" + index + "]", conversation);
    }
  }

  private static void item(JsonNode item, String at, ArrayNode conversation) {
    String type = item.path("type").asText(item.has("role") ? "message" : "");
    switch (type) {
      case "message" -> {
        String role = item.path("role").asText("");
        if (!java.util.List.of("user", "assistant", "system", "developer").contains(role)) {
          throw new InvalidParameterException(
              at + ".role", null, "role must be user, assistant, system or developer");
        }
        conversation
            .addObject()
            .put("role", role.equals("developer") ? "system" : role)
            .put("content", text(item.get("content"), at + ".content"));
      }
      case "function_call" -> {
        if (!item.path("name").isTextual() || !item.path("call_id").isTextual()) {
          throw new InvalidParameterException(
              at, null, "a function_call item needs call_id and name");
        }
        ObjectNode assistant = lastAssistant(conversation);
        ArrayNode calls =
            assistant.has("tool_calls")
                ? (ArrayNode) assistant.get("tool_calls")
                : assistant.putArray("tool_calls");
        ObjectNode call = calls.addObject();
        call.put("id", item.get("call_id").asText()).put("type", "function");
        call.putObject("function")
            .put("name", item.get("name").asText())
            .put("arguments", item.path("arguments").asText("{}"));
      }
      case "function_call_output" -> {
        if (!item.path("call_id").isTextual()) {
          throw new InvalidParameterException(
              at + ".call_id", null, "a function_call_output item needs call_id");
        }
        JsonNode output = item.get("output");
        conversation
            .addObject()
            .put("role", "tool")
            .put("tool_call_id", item.get("call_id").asText())
            .put("content", output == null || output.isNull() ? "" : text(output, at + ".output"));
      }
      case "reasoning" -> {
        // earlier reasoning is not part of the next prompt
      }
      default ->
          throw new InvalidParameterException(
              at + ".type",
              null,
              "'"
                  + type
                  + "' items are not supported (message, function_call, function_call_output and"
                  + " reasoning are)");
    }
  }

  /** The last message when it is the assistant's, else a new empty assistant message. */
  private static ObjectNode lastAssistant(ArrayNode conversation) {
    if (!conversation.isEmpty()
        && conversation.get(conversation.size() - 1).path("role").asText().equals("assistant")) {
      return (ObjectNode) conversation.get(conversation.size() - 1);
    }
    return conversation.addObject().put("role", "assistant").put("content", "");
  }

  /** A string, or the text of {@code input_text}/{@code output_text} parts. */
  private static String text(JsonNode content, String at) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      throw new InvalidParameterException(at, null, at + " must be a string or an array of parts");
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      String type = part.path("type").asText("");
      if (!type.equals("input_text") && !type.equals("output_text") && !type.equals("text")) {
        throw new InvalidParameterException(
            at, null, "'" + type + "' parts are not supported (input_text and output_text are)");
      }
      text.append(part.path("text").asText());
    }
    return text.toString();
  }

  private static void tools(JsonNode body, ObjectNode chat) {
    JsonNode tools = body.get("tools");
    if (tools != null && tools.isArray() && !tools.isEmpty()) {
      ArrayNode chatTools = chat.putArray("tools");
      for (int index = 0; index < tools.size(); index++) {
        JsonNode tool = tools.get(index);
        if (!"function".equals(tool.path("type").asText())) {
          throw new InvalidParameterException(
              "tools[" + index + "].type",
              null,
              "'" + tool.path("type").asText() + "' tools are not supported (function tools are)");
        }
        ObjectNode function = chatTools.addObject().put("type", "function").putObject("function");
        function.set("name", tool.get("name"));
        if (tool.has("description")) {
          function.set("description", tool.get("description"));
        }
        if (tool.has("parameters")) {
          function.set("parameters", tool.get("parameters"));
        }
      }
    }
    JsonNode choice = body.get("tool_choice");
    if (choice != null && choice.isTextual()) {
      chat.set("tool_choice", choice);
    } else if (choice != null && choice.isObject()) {
      if (!"function".equals(choice.path("type").asText())) {
        throw new InvalidParameterException(
            "tool_choice", null, "tool_choice must be none, auto, required or a function");
      }
      chat.putObject("tool_choice")
          .put("type", "function")
          .putObject("function")
          .set("name", choice.get("name"));
    }
  }

  private static void copy(JsonNode from, ObjectNode to, String field) {
    if (from.has(field)) {
      to.set(field, from.get(field));
    }
  }
}
