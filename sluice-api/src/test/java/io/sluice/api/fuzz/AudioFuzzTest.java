package io.sluice.api.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.audio.Pcm16;

/**
 * The WAV reader on arbitrary bytes: a parsed file or {@link InvalidInputException}, nothing else.
 */
class AudioFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void wavReaderThrowsOnlyInvalidInput(byte[] bytes) {
    try {
      Pcm16 audio = Pcm16.wav(bytes);
      if (audio.sampleRate() > 0 && audio.samples().length < 200_000) {
        audio.resample(16_000);
      }
    } catch (InvalidInputException expected) {
      // the project's own error: the client is told what is wrong
    }
  }
}
