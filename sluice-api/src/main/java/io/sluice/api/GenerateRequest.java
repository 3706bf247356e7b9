package io.sluice.api;

import java.util.List;
import java.util.Objects;

/**
 * A protocol-neutral text-generation request: a prompt, or chat messages for the model's chat template.
 *
 * @param model the deployment's model name
 * @param revision a revision number to pin to, or null
 * @param prompt the raw prompt, or null when {@code messages} is given
 * @param messages chat messages, or null for a raw prompt
 * @param maxTokens the most tokens to generate, at least 1 ({@link InvalidInputException} otherwise)
 * @param temperature sampling temperature, or null for the model's default
 * @param topP nucleus sampling, or null
 * @param stop strings that end the generation (not included in the text)
 * @param seed sampling seed, or null
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
    Long seed) {
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
  }

  /** One chat message. */
  public record ChatMessage(String role, String content) {}
}
