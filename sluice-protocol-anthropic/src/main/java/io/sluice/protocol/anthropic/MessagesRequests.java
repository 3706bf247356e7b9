package io.sluice.protocol.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateRequest.ChatMessage;
import io.sluice.api.GenerateRequest.ToolCall;
import io.sluice.api.InvalidInputException;
import io.sluice.http.json.JsonIntegers;
import java.util.ArrayList;
import java.util.List;

/**
 * An Anthropic Messages body as a {@link GenerateRequest}: {@code system} (a string or text blocks)
 * as a system message, {@code tool_use} blocks as the assistant's tool calls, each {@code
 * tool_result} block as a tool message answering its call, and Anthropic's {@code tool_choice}
 * ({@code auto}, {@code any}, {@code tool}, {@code none}) as the engine's; {@code thinking} ({@code
 * enabled} or {@code disabled}) as the chat template's {@code enable_thinking}. {@code metadata} is
 * accepted and has no effect; images and documents are refused.
 */
final class MessagesRequests {
  private MessagesRequests() {}

  /**
   * The request for {@code model} (already resolved); {@code requireMaxTokens} is false for {@code
   * count_tokens}, which takes no {@code max_tokens}.
   */
  static GenerateRequest parse(
      String model, JsonNode body, String revision, boolean requireMaxTokens) {
    Integer maxTokens = JsonIntegers.intField(body, "max_tokens");
    if (maxTokens == null && requireMaxTokens) {
      throw new InvalidInputException("max_tokens: Field required");
    }
    if (maxTokens != null && maxTokens < 1) {
      throw new InvalidInputException("max_tokens: must be greater than or equal to 1");
    }
    List<ChatMessage> turns = new ArrayList<>();
    JsonNode system = body.get("system");
    if (system != null && !system.isNull()) {
      turns.add(new ChatMessage("system", text(system, "system")));
    }
    JsonNode messages = body.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new InvalidInputException("messages: must be a non-empty array");
    }
    for (int index = 0; index < messages.size(); index++) {
      message(messages.get(index), "messages." + index, turns);
    }
    List<String> stop = new ArrayList<>();
    JsonNode stopSequences = body.path("stop_sequences");
    if (!stopSequences.isMissingNode() && !stopSequences.isNull()) {
      if (!stopSequences.isArray()) {
        throw new InvalidInputException("stop_sequences: must be an array of strings");
      }
      stopSequences.forEach(sequence -> stop.add(sequence.asText()));
    }
    return new GenerateRequest(
        model,
        revision,
        null,
        turns,
        maxTokens == null ? 1 : maxTokens,
        number(body, "temperature", 0, 1),
        number(body, "top_p", 0, 1),
        stop,
        null,
        options(body));
  }

  private static void message(JsonNode message, String at, List<ChatMessage> turns) {
    String role = message.path("role").asText("");
    if (!role.equals("user") && !role.equals("assistant")) {
      throw new InvalidInputException(at + ".role: must be 'user' or 'assistant'");
    }
    JsonNode content = message.get("content");
    if (content == null || content.isNull()) {
      throw new InvalidInputException(at + ".content: Field required");
    }
    if (content.isTextual()) {
      turns.add(new ChatMessage(role, content.asText()));
      return;
    }
    if (!content.isArray()) {
      throw new InvalidInputException(at + ".content: must be a string or an array of blocks");
    }
    StringBuilder text = new StringBuilder();
    List<ToolCall> calls = new ArrayList<>();
    for (int index = 0; index < content.size(); index++) {
      JsonNode block = content.get(index);
      String where = at + ".content." + index;
      switch (block.path("type").asText("")) {
        case "text" -> text.append(block.path("text").asText());
        case "thinking", "redacted_thinking" -> {
          // the model's earlier reasoning is not part of its next prompt
        }
        case "tool_use" -> {
          if (!role.equals("assistant")) {
            throw new InvalidInputException(where + ": tool_use blocks belong to assistant turns");
          }
          if (!block.path("name").isTextual() || !block.path("id").isTextual()) {
            throw new InvalidInputException(where + ": a tool_use block needs an id and a name");
          }
          JsonNode input = block.path("input");
          calls.add(
              new ToolCall(
                  block.get("id").asText(),
                  block.get("name").asText(),
                  input.isObject() ? input.toString() : "{}"));
        }
        case "tool_result" -> {
          if (!role.equals("user")) {
            throw new InvalidInputException(where + ": tool_result blocks belong to user turns");
          }
          if (!block.path("tool_use_id").isTextual()) {
            throw new InvalidInputException(where + ".tool_use_id: Field required");
          }
          JsonNode result = block.get("content");
          String answer = result == null || result.isNull() ? "" : text(result, where + ".content");
          if (block.path("is_error").asBoolean(false)) {
            answer = "Error: " + answer;
          }
          turns.add(new ChatMessage("tool", answer, List.of(), block.get("tool_use_id").asText()));
        }
        default ->
            throw new InvalidInputException(
                where
                    + ": '"
                    + block.path("type").asText()
                    + "' blocks are not supported (text, tool_use, tool_result and thinking are)");
      }
    }
    if (!calls.isEmpty() || !text.isEmpty() || turns.isEmpty() || !isTool(turns.getLast())) {
      turns.add(new ChatMessage(role, text.toString(), calls, null));
    }
  }

  private static boolean isTool(ChatMessage message) {
    return message.role().equals("tool");
  }

  /** A string, or the text of an array of text blocks. */
  private static String text(JsonNode content, String at) {
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      throw new InvalidInputException(at + ": must be a string or an array of text blocks");
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode block : content) {
      if (!"text".equals(block.path("type").asText())) {
        throw new InvalidInputException(at + ": only text blocks are supported here");
      }
      if (!text.isEmpty()) {
        text.append('\n');
      }
      text.append(block.path("text").asText());
    }
    return text.toString();
  }

  private static GenerateOptions options(JsonNode body) {
    Integer topK = JsonIntegers.intField(body, "top_k");
    if (topK != null && topK < 0) {
      throw new InvalidInputException("top_k: must be greater than or equal to 0");
    }
    List<GenerateOptions.Tool> tools = new ArrayList<>();
    JsonNode offered = body.path("tools");
    for (int index = 0; index < offered.size(); index++) {
      JsonNode tool = offered.get(index);
      String type = tool.path("type").asText("custom");
      if (!type.equals("custom")) {
        throw new InvalidInputException(
            "tools." + index + ": '" + type + "' tools are not supported (custom tools are)");
      }
      if (!tool.path("name").isTextual()) {
        throw new InvalidInputException("tools." + index + ".name: Field required");
      }
      JsonNode schema = tool.path("input_schema");
      if (!schema.isObject()) {
        throw new InvalidInputException("tools." + index + ".input_schema: Field required");
      }
      tools.add(
          new GenerateOptions.Tool(
              tool.get("name").asText(), tool.path("description").asText(null), schema.toString()));
    }
    String toolChoice = toolChoice(body.get("tool_choice"), tools);
    // Anthropic's switch for extended thinking is the template's for reasoning models (Qwen3's)
    String thinking = body.path("thinking").path("type").asText("");
    String templateArguments =
        switch (thinking) {
          case "enabled", "adaptive" -> "{\"enable_thinking\":true}";
          case "disabled" -> "{\"enable_thinking\":false}";
          default -> null;
        };
    return new GenerateOptions(
        topK == null || topK == 0 ? null : topK,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        false,
        tools,
        toolChoice,
        templateArguments);
  }

  private static String toolChoice(JsonNode choice, List<GenerateOptions.Tool> tools) {
    if (choice == null || choice.isNull()) {
      return null;
    }
    String type = choice.path("type").asText("");
    String engineChoice =
        switch (type) {
          case "auto" -> "auto";
          case "any" -> "required";
          case "none" -> "none";
          case "tool" -> {
            String name = choice.path("name").asText(null);
            if (name == null) {
              throw new InvalidInputException("tool_choice.name: Field required");
            }
            if (tools.stream().noneMatch(tool -> tool.name().equals(name))) {
              throw new InvalidInputException(
                  "tool_choice.name: no tool named '" + name + "' is offered");
            }
            yield name;
          }
          default ->
              throw new InvalidInputException(
                  "tool_choice.type: must be 'auto', 'any', 'tool' or 'none'");
        };
    if (!engineChoice.equals("none") && tools.isEmpty()) {
      throw new InvalidInputException("tool_choice: needs tools");
    }
    return engineChoice;
  }

  private static Float number(JsonNode body, String field, float min, float max) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isNumber()) {
      throw new InvalidInputException(field + ": must be a number");
    }
    float value = (float) node.asDouble();
    if (value < min || value > max) {
      throw new InvalidInputException(field + ": must lie between " + min + " and " + max);
    }
    return value;
  }
}
