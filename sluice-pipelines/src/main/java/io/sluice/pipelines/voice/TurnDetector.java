package io.sluice.pipelines.voice;

/**
 * Where speech starts and stops in a stream of per-frame speech probabilities, as OpenAI's {@code
 * server_vad} defines it: speech starts at the first frame at or above {@code threshold} (reported
 * {@code prefixPaddingMs} earlier, so the audio before it is kept) and stops once the probability
 * stays below it for {@code silenceDurationMs}. While speaking, a frame counts as speech down to
 * {@code threshold - 0.15}, as Silero's own detector does, so short dips inside words do not end a
 * turn. Time is audio time: each frame moves it on by its length.
 */
public final class TurnDetector {
  /** OpenAI's defaults: 0.5, 300 ms, 500 ms. */
  public record Settings(float threshold, int prefixPaddingMs, int silenceDurationMs) {
    public static final Settings DEFAULT = new Settings(0.5f, 300, 500);

    public Settings {
      if (!(threshold > 0 && threshold < 1)) {
        throw new IllegalArgumentException("threshold must lie between 0 and 1, got " + threshold);
      }
      if (prefixPaddingMs < 0 || silenceDurationMs < 0) {
        throw new IllegalArgumentException("durations cannot be negative");
      }
    }
  }

  /** A change: speech started or stopped at an audio time in milliseconds. */
  public record Change(boolean started, long atMs) {}

  private static final float HYSTERESIS = 0.15f;

  private final Settings settings;
  private final int frameMs;
  private long nowMs;
  private boolean speaking;
  private long lastSpeechEndMs;

  /**
   * @param startMs the audio time of the first frame
   */
  public TurnDetector(Settings settings, int frameMs, long startMs) {
    this.settings = settings;
    this.frameMs = frameMs;
    this.nowMs = startMs;
  }

  public boolean speaking() {
    return speaking;
  }

  /** Audio time after the frames seen so far. */
  public long nowMs() {
    return nowMs;
  }

  /** Takes the next frame's probability; returns the change it makes, or null. */
  public Change frame(float probability) {
    long frameStart = nowMs;
    nowMs += frameMs;
    if (!speaking) {
      if (probability >= settings.threshold()) {
        speaking = true;
        lastSpeechEndMs = nowMs;
        return new Change(true, Math.max(0, frameStart - settings.prefixPaddingMs()));
      }
      return null;
    }
    if (probability >= settings.threshold() - HYSTERESIS) {
      lastSpeechEndMs = nowMs;
      return null;
    }
    if (nowMs - lastSpeechEndMs >= settings.silenceDurationMs()) {
      speaking = false;
      return new Change(false, lastSpeechEndMs);
    }
    return null;
  }
}
