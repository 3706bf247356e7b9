package io.sluice.protocol.openai.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** G.711 against the values of ITU-T G.711's tables. */
class AudioFormatTest {
  @Test
  void muLawMatchesTheStandardsTable() {
    assertThat(AudioFormat.fromMuLaw((byte) 0x00)).isEqualTo((short) -32124);
    assertThat(AudioFormat.fromMuLaw((byte) 0x80)).isEqualTo((short) 32124);
    assertThat(AudioFormat.fromMuLaw((byte) 0xFF)).isEqualTo((short) 0);
    assertThat(AudioFormat.fromMuLaw((byte) 0xF0)).isEqualTo((short) 120);
    assertThat(AudioFormat.fromMuLaw((byte) 0xEF)).isEqualTo((short) 132);
    assertThat(AudioFormat.toMuLaw((short) 0)).isEqualTo((byte) 0xFF);
    assertThat(AudioFormat.toMuLaw((short) 32767)).isEqualTo((byte) 0x80);
    assertThat(AudioFormat.toMuLaw((short) -32768)).isEqualTo((byte) 0x00);
    for (int code = 0; code < 256; code++) {
      if (code == 0x7F) {
        continue; // negative zero: decodes to 0, which encodes as positive zero
      }
      assertThat(AudioFormat.toMuLaw(AudioFormat.fromMuLaw((byte) code)))
          .as("code %02x", code)
          .isEqualTo((byte) code);
    }
  }

  @Test
  void aLawMatchesTheStandardsTable() {
    assertThat(AudioFormat.fromALaw((byte) 0xD5)).isEqualTo((short) 8);
    assertThat(AudioFormat.fromALaw((byte) 0x55)).isEqualTo((short) -8);
    assertThat(AudioFormat.fromALaw((byte) 0xAA)).isEqualTo((short) 32256);
    assertThat(AudioFormat.fromALaw((byte) 0x2A)).isEqualTo((short) -32256);
    assertThat(AudioFormat.toALaw((short) 0)).isEqualTo((byte) 0xD5);
    assertThat(AudioFormat.toALaw((short) 32767)).isEqualTo((byte) 0xAA);
    assertThat(AudioFormat.toALaw((short) -32768)).isEqualTo((byte) 0x2A);
    for (int code = 0; code < 256; code++) {
      assertThat(AudioFormat.toALaw(AudioFormat.fromALaw((byte) code)))
          .as("code %02x", code)
          .isEqualTo((byte) code);
    }
  }

  @Test
  void aToneSurvivesEachCodecWithinItsQuantisation() {
    short[] tone = new short[800];
    for (int i = 0; i < tone.length; i++) {
      tone[i] = (short) Math.round(12_000 * Math.sin(2 * Math.PI * 440 * i / 8_000.0));
    }
    for (AudioFormat format : new AudioFormat[] {AudioFormat.PCMU, AudioFormat.PCMA}) {
      short[] back = format.decode(format.encode(tone));
      for (int i = 0; i < tone.length; i++) {
        // 4 mantissa bits: the error is at most half a step of 1/32 of the magnitude (plus 16)
        assertThat(Math.abs(back[i] - tone[i]))
            .as("%s sample %d", format, i)
            .isLessThanOrEqualTo(Math.abs(tone[i]) / 32 + 16);
      }
    }
    assertThat(AudioFormat.PCM.decode(AudioFormat.PCM.encode(tone))).isEqualTo(tone);
  }
}
