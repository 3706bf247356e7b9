package io.sluice.api;

import java.util.List;
import java.util.Objects;

/**
 * A protocol-neutral text-generation request: a prompt, or chat messages for the model's chat
 * template.
 *
 * @param model the deployment's model name
 * @param revision a revision number to pin to, or null
 * @param prompt the raw prompt, or null when {@code messages} is given
 * @param messages chat messages, or null for a raw prompt
 * @param maxTokens the most tokens to generate, at least 1 ({@link InvalidInputException}
 *     otherwise)
 * @param temperature sampling temperature, or null for the model's default
 * @param topP nucleus sampling, or null
 * @param stop strings that end the generation (not included in the text)
 * @param seed sampling seed, or null
 * @param options everything else a client may ask for ({@link GenerateOptions#NONE} for nothing)
 */
public record GenerateRequest(
    String model,
    String revision,
    String prompt,
    List<ChatMessage> messages,
    int maxTokens,
    Float temperature,
    Float topP,
    List<String> stop,
    Long seed,
    GenerateOptions options) {
  public GenerateRequest {
    Objects.requireNonNull(model, "model");
    if ((prompt == null) == (messages == null)) {
      throw new IllegalArgumentException("give either a prompt or messages");
    }
    if (maxTokens < 1) {
      throw new InvalidInputException("max_tokens must be a positive integer, got " + maxTokens);
    }
    messages = messages == null ? null : List.copyOf(messages);
    stop = stop == null ? List.of() : List.copyOf(stop);
    options = options == null ? GenerateOptions.NONE : options;
  }

  public GenerateRequest(
      String model,
      String revision,
      String prompt,
      List<ChatMessage> messages,
      int maxTokens,
      Float temperature,
      Float topP,
      List<String> stop,
      Long seed) {
    this(
        model,
        revision,
        prompt,
        messages,
        maxTokens,
        temperature,
        topP,
        stop,
        seed,
        GenerateOptions.NONE);
  }

  /**
   * One chat message: a role and its text; an assistant's earlier tool calls, or a tool's answer to
   * one.
   *
   * @param toolCalls the calls an assistant message made (empty otherwise)
   * @param toolCallId for a {@code tool} message, the call it answers (else null)
   */
  public record ChatMessage(
      String role, String content, List<ToolCall> toolCalls, String toolCallId) {
    public ChatMessage {
      toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public ChatMessage(String role, String content) {
      this(role, content, List.of(), null);
    }
  }

  /** A function call: its id, the function's name and its arguments as JSON text. */
  public record ToolCall(String id, String name, String arguments) {}
}
