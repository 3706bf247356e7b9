package io.sluice.runtime.llm.schedule;

import java.util.List;

/**
 * Hears one generation. The scheduler's thread calls it: implementations hand the text on and
 * return at once. {@link #onFinish} or {@link #onError} comes exactly once, last.
 */
public interface GenerationListener {
  /**
   * New text (possibly empty while a stop string might be starting), and the log-probabilities of
   * the tokens generated since the last call when they were asked for (else an empty list).
   */
  void onText(String text, List<TokenLogprob> logprobs);

  void onFinish(GenerationOutcome outcome);

  void onError(RuntimeException error);
}
