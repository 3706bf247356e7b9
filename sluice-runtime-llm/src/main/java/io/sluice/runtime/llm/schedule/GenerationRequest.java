package io.sluice.runtime.llm.schedule;

import java.util.List;

/**
 * One generation for the scheduler: a tokenized prompt and when to stop.
 *
 * @param prompt the prompt's tokens, at least one
 * @param sampling how tokens are picked
 * @param maxTokens the most tokens to generate
 * @param stop strings that end the generation; the text stops before them, even across token
 *     boundaries
 * @param topLogprobs log-probabilities wanted per token: -1 none, 0 the chosen token's only, k also
 *     the k likeliest
 * @param ignoreEos keep generating past end-of-generation tokens (benchmarks)
 * @param adapter the LoRA adapter it runs with ({@link Decoder#useAdapter}), or {@link #NO_ADAPTER}
 */
public record GenerationRequest(
    int[] prompt,
    SamplingOptions sampling,
    int maxTokens,
    List<String> stop,
    int topLogprobs,
    boolean ignoreEos,
    int adapter) {
  public GenerationRequest {
    if (prompt.length == 0) {
      throw new IllegalArgumentException("a prompt needs at least one token");
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be positive");
    }
    stop = stop == null ? List.of() : List.copyOf(stop);
  }

  public GenerationRequest(
      int[] prompt, SamplingOptions sampling, int maxTokens, List<String> stop) {
    this(prompt, sampling, maxTokens, stop, -1, false, NO_ADAPTER);
  }

  public GenerationRequest(
      int[] prompt,
      SamplingOptions sampling,
      int maxTokens,
      List<String> stop,
      int topLogprobs,
      boolean ignoreEos) {
    this(prompt, sampling, maxTokens, stop, topLogprobs, ignoreEos, NO_ADAPTER);
  }

  /** The base model, without a LoRA adapter. */
  public static final int NO_ADAPTER = -1;
}
