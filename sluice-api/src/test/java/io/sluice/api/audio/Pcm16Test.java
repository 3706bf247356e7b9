package io.sluice.api.audio;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Pcm16Test {
  @Test
  void downsamplingKeepsTheSpeechBandAndRemovesWhatWouldFoldIntoIt() {
    Pcm16 voice = tone(3_000, 48_000).resample(16_000);
    Pcm16 hiss =
        tone(12_000, 48_000)
            .resample(16_000); // above 16 kHz audio's 8 kHz Nyquist: would alias to 4 kHz
    assertThat(voice.samples()).hasSize(16_000);
    assertThat(rms(voice)).as("a 3 kHz tone passes").isGreaterThan(0.9 * rms(tone(3_000, 16_000)));
    assertThat(rms(hiss)).as("a 12 kHz tone is filtered out").isLessThan(0.02 * rms(voice));
  }

  @Test
  void upsamplingKeepsATone() {
    Pcm16 up = tone(1_000, 16_000).resample(24_000);
    assertThat(up.samples()).hasSize(24_000);
    assertThat(rms(up))
        .isCloseTo(rms(tone(1_000, 24_000)), org.assertj.core.data.Percentage.withPercentage(3));
  }

  @Test
  void streamingHeaderIsAWavWhoseSizesAreUnknown() {
    byte[] header = Pcm16.streamingWavHeader(24_000);
    byte[] samples = tone(440, 24_000).rawBytes();
    byte[] stream = new byte[header.length + samples.length];
    System.arraycopy(header, 0, stream, 0, header.length);
    System.arraycopy(samples, 0, stream, header.length, samples.length);
    Pcm16 read = Pcm16.wav(stream);
    assertThat(read.sampleRate()).isEqualTo(24_000);
    assertThat(read.samples()).hasSize(24_000);
  }

  /** One second of a full-scale-quarter sine. */
  private static Pcm16 tone(int hz, int rate) {
    short[] samples = new short[rate];
    for (int i = 0; i < rate; i++) {
      samples[i] = (short) (8_000 * Math.sin(2 * Math.PI * hz * i / rate));
    }
    return new Pcm16(samples, rate);
  }

  /** Root mean square, away from the edges. */
  private static double rms(Pcm16 pcm) {
    double sum = 0;
    int from = pcm.samples().length / 10;
    int to = pcm.samples().length - from;
    for (int i = from; i < to; i++) {
      sum += (double) pcm.samples()[i] * pcm.samples()[i];
    }
    return Math.sqrt(sum / (to - from));
  }
}
