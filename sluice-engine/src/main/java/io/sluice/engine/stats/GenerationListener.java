package io.sluice.engine.stats;

import io.sluice.api.GenerateResult;

/**
 * Hears the timing of every text generation, for LLM metrics: the engine calls it on the
 * generation's thread, so an implementation must be quick and must not throw. Times are in
 * nanoseconds; {@code revision} is the revision's number within its deployment.
 */
public interface GenerationListener {
  /**
   * The first piece of text, {@code sinceAccepted} after the request arrived (time to first token).
   */
  void firstPiece(String deployment, String revision, long sinceAccepted);

  /**
   * Every later piece (usually one token), {@code sincePrevious} after the one before (inter-token
   * latency).
   */
  void nextPiece(String deployment, String revision, long sincePrevious);

  /**
   * A generation that finished: its token counts and finish reason, the time it waited for a
   * replica, and its whole time from arrival.
   */
  void finished(
      String deployment, String revision, GenerateResult result, long queued, long endToEnd);

  GenerationListener NONE =
      new GenerationListener() {
        @Override
        public void firstPiece(String deployment, String revision, long sinceAccepted) {}

        @Override
        public void nextPiece(String deployment, String revision, long sincePrevious) {}

        @Override
        public void finished(
            String deployment,
            String revision,
            GenerateResult result,
            long queued,
            long endToEnd) {}
      };
}
