package io.sluice.api;

import java.util.List;

/**
 * A piece of generated text, with the log-probabilities of the tokens it came from when the request
 * asked for them ({@link GenerateOptions#topLogprobs()}), the function calls the model completed in
 * it when the request offered tools (their text is not in {@code text}), and the model's reasoning
 * (what a reasoning model writes between its thinking tags, which is not in {@code text} either).
 */
public record GeneratedText(
    String text,
    List<TokenLogprob> logprobs,
    List<GenerateRequest.ToolCall> toolCalls,
    String reasoning) {
  public GeneratedText {
    text = text == null ? "" : text;
    logprobs = logprobs == null ? List.of() : List.copyOf(logprobs);
    toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    reasoning = reasoning == null ? "" : reasoning;
  }

  public GeneratedText(
      String text, List<TokenLogprob> logprobs, List<GenerateRequest.ToolCall> toolCalls) {
    this(text, logprobs, toolCalls, "");
  }

  /** A piece of reasoning only. */
  public static GeneratedText reasoning(String reasoning) {
    return new GeneratedText("", List.of(), List.of(), reasoning);
  }

  public GeneratedText(String text, List<TokenLogprob> logprobs) {
    this(text, logprobs, List.of());
  }

  public static GeneratedText of(String text) {
    return new GeneratedText(text, List.of(), List.of());
  }

  /**
   * One generated token's log-probability under the model, and the likeliest alternatives.
   *
   * @param token the token's text (possibly part of a character; {@code bytes} is exact)
   * @param bytes the token's UTF-8 bytes
   * @param logprob its natural-log probability
   * @param top the likeliest tokens at that position, likeliest first
   */
  public record TokenLogprob(String token, byte[] bytes, float logprob, List<Alternative> top) {
    public TokenLogprob {
      top = top == null ? List.of() : List.copyOf(top);
    }
  }

  public record Alternative(String token, byte[] bytes, float logprob) {}
}
