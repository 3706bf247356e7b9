package io.sluice.pipelines.voice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TurnDetectorTest {
  /** Feeds probabilities of 32 ms frames; the changes, in order. */
  private static List<TurnDetector.Change> feed(TurnDetector detector, float... probabilities) {
    List<TurnDetector.Change> changes = new ArrayList<>();
    for (float probability : probabilities) {
      TurnDetector.Change change = detector.frame(probability);
      if (change != null) {
        changes.add(change);
      }
    }
    return changes;
  }

  private static float[] repeat(float probability, int frames) {
    float[] out = new float[frames];
    java.util.Arrays.fill(out, probability);
    return out;
  }

  @Test
  void speechStartsAtTheFirstFrameOverTheThresholdLessThePaddingAndStopsAfterTheSilence() {
    TurnDetector detector = new TurnDetector(new TurnDetector.Settings(0.5f, 300, 500), 32, 0);
    // 20 silent frames (640 ms), then speech at frame 20 = 640 ms
    assertThat(feed(detector, repeat(0.1f, 20))).isEmpty();
    assertThat(feed(detector, 0.9f)).containsExactly(new TurnDetector.Change(true, 640 - 300));
    assertThat(detector.speaking()).isTrue();
    // speech through frame 30 (its end: 31 * 32 = 992 ms)
    assertThat(feed(detector, repeat(0.8f, 10))).isEmpty();
    // 500 ms of silence is 16 frames: the 15th is not yet enough, the 16th is
    assertThat(feed(detector, repeat(0.05f, 15))).isEmpty();
    assertThat(feed(detector, 0.05f)).containsExactly(new TurnDetector.Change(false, 992));
    assertThat(detector.speaking()).isFalse();
  }

  @Test
  void dipsBetweenTheThresholdAndItsHysteresisKeepTheTurnAndShortPausesDoNotEndIt() {
    TurnDetector detector = new TurnDetector(new TurnDetector.Settings(0.5f, 0, 200), 32, 1_000);
    assertThat(feed(detector, 0.6f)).containsExactly(new TurnDetector.Change(true, 1_000));
    assertThat(feed(detector, repeat(0.4f, 40))).as("0.4 >= 0.5 - 0.15").isEmpty();
    assertThat(feed(detector, repeat(0.2f, 6))).as("192 ms < 200 ms").isEmpty();
    assertThat(feed(detector, 0.7f)).isEmpty();
    List<TurnDetector.Change> changes = feed(detector, repeat(0.2f, 7));
    assertThat(changes).containsExactly(new TurnDetector.Change(false, 1_000 + 48 * 32));
  }

  @Test
  void thePaddingNeverReachesBeforeTheStart() {
    TurnDetector detector = new TurnDetector(TurnDetector.Settings.DEFAULT, 32, 0);
    assertThat(feed(detector, 0.1f, 0.9f)).containsExactly(new TurnDetector.Change(true, 0));
  }
}
