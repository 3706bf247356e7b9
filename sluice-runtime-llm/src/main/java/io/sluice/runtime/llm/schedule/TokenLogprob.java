package io.sluice.runtime.llm.schedule;

import java.util.List;

/**
 * A generated token's log-probability under the model (before sampling settings), with the
 * likeliest alternatives when asked for.
 */
public record TokenLogprob(int token, byte[] bytes, float logprob, List<Alternative> top) {
  public record Alternative(int token, byte[] bytes, float logprob) {}
}
