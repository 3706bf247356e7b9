package io.sluice.api;

/**
 * How a generation ended.
 *
 * @param finishReason {@code stop} (end of sequence or a stop string) or {@code length} (max
 *     tokens)
 * @param promptTokens tokens in the (templated) prompt
 * @param completionTokens tokens generated
 */
public record GenerateResult(String finishReason, int promptTokens, int completionTokens) {}
