package io.sluice.runtime.llm.schedule;

import java.util.Map;

/**
 * How one generation picks its tokens, as OpenAI's and vLLM's request fields say it.
 *
 * @param temperature 0 for greedy decoding
 * @param topP nucleus sampling, 1 to leave it off
 * @param topK 0 to leave it off
 * @param minP 0 to leave it off
 * @param repetitionPenalty 1 to leave it off
 * @param frequencyPenalty 0 to leave it off
 * @param presencePenalty 0 to leave it off
 * @param seed the random seed
 * @param logitBias token id to a bias added to its logit (-100 bans, +100 forces)
 * @param grammar a GBNF grammar (root rule {@code root}) the output must follow, or null
 */
public record SamplingOptions(
    float temperature,
    float topP,
    int topK,
    float minP,
    float repetitionPenalty,
    float frequencyPenalty,
    float presencePenalty,
    long seed,
    Map<Integer, Float> logitBias,
    String grammar) {
  /** Tokens the penalties look back over (llama-server's default). */
  public static final int PENALTY_WINDOW = 64;

  public SamplingOptions {
    logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
  }

  public static SamplingOptions greedy() {
    return new SamplingOptions(0, 1, 0, 0, 1, 0, 0, 0, Map.of(), null);
  }

  public boolean isGreedy() {
    return temperature <= 0;
  }

  public boolean penalises() {
    return repetitionPenalty != 1 || frequencyPenalty != 0 || presencePenalty != 0;
  }
}
