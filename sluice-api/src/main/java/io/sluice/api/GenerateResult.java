package io.sluice.api;

/**
 * How a generation ended.
 *
 * @param finishReason {@code stop} (end of sequence or a stop string) or {@code length} (max
 *     tokens)
 * @param promptTokens tokens in the (templated) prompt
 * @param completionTokens tokens generated
 * @param stopSequence the stop string that ended it, null when none did
 */
public record GenerateResult(
    String finishReason, int promptTokens, int completionTokens, String stopSequence) {
  public GenerateResult(String finishReason, int promptTokens, int completionTokens) {
    this(finishReason, promptTokens, completionTokens, null);
  }
}
