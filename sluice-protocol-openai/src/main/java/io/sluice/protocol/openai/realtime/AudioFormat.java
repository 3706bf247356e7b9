package io.sluice.protocol.openai.realtime;

import io.sluice.api.audio.Pcm16;
import io.sluice.protocol.openai.InvalidParameterException;

/**
 * The Realtime API's audio formats: {@code audio/pcm} (16-bit little-endian mono, 24 kHz) and the
 * telephony G.711 codecs {@code audio/pcmu} (μ-law) and {@code audio/pcma} (A-law) at 8 kHz, as
 * ITU-T G.711 defines them.
 */
enum AudioFormat {
  PCM("audio/pcm", 24_000),
  PCMU("audio/pcmu", 8_000),
  PCMA("audio/pcma", 8_000);

  final String type;
  final int rate;

  AudioFormat(String type, int rate) {
    this.type = type;
    this.rate = rate;
  }

  static AudioFormat of(String type, String param) {
    for (AudioFormat format : values()) {
      if (format.type.equals(type)) {
        return format;
      }
    }
    throw new InvalidParameterException(
        param,
        "invalid_value",
        "audio format '"
            + type
            + "' is not supported; supported: audio/pcm, audio/pcmu, audio/pcma");
  }

  /** The samples in {@code bytes}, at {@link #rate}. */
  short[] decode(byte[] bytes) {
    if (this == PCM) {
      return Pcm16.raw(bytes, rate).samples();
    }
    short[] samples = new short[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      samples[i] = this == PCMU ? fromMuLaw(bytes[i]) : fromALaw(bytes[i]);
    }
    return samples;
  }

  /** {@code samples} (at {@link #rate}) in this format. */
  byte[] encode(short[] samples) {
    if (this == PCM) {
      return new Pcm16(samples, rate).rawBytes();
    }
    byte[] bytes = new byte[samples.length];
    for (int i = 0; i < samples.length; i++) {
      bytes[i] = this == PCMU ? toMuLaw(samples[i]) : toALaw(samples[i]);
    }
    return bytes;
  }

  private static final int[] MU_SEGMENT_ENDS = {
    0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF
  };
  private static final int[] A_SEGMENT_ENDS = {0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF};

  static short fromMuLaw(byte code) {
    int u = ~code & 0xFF;
    int magnitude = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4);
    return (short) ((u & 0x80) != 0 ? 0x84 - magnitude : magnitude - 0x84);
  }

  static byte toMuLaw(short sample) {
    int value = sample >> 2;
    int mask = 0xFF;
    if (value < 0) {
      value = -value;
      mask = 0x7F;
    }
    value = Math.min(value, 8159) + 0x21;
    int segment = segment(value, MU_SEGMENT_ENDS);
    if (segment >= 8) {
      return (byte) (0x7F ^ mask);
    }
    return (byte) (((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask);
  }

  static short fromALaw(byte code) {
    int a = (code ^ 0x55) & 0xFF;
    int segment = (a & 0x70) >> 4;
    int magnitude = (a & 0x0F) << 4;
    magnitude = segment == 0 ? magnitude + 8 : (magnitude + 0x108) << (segment - 1);
    return (short) ((a & 0x80) != 0 ? magnitude : -magnitude);
  }

  static byte toALaw(short sample) {
    int value = sample >> 3;
    int mask = 0xD5;
    if (value < 0) {
      value = -value - 1;
      mask = 0x55;
    }
    int segment = segment(value, A_SEGMENT_ENDS);
    if (segment >= 8) {
      return (byte) (0x7F ^ mask);
    }
    int code = segment << 4;
    code |= segment < 2 ? (value >> 1) & 0x0F : (value >> segment) & 0x0F;
    return (byte) (code ^ mask);
  }

  private static int segment(int value, int[] ends) {
    int segment = 0;
    while (segment < ends.length && value > ends[segment]) {
      segment++;
    }
    return segment;
  }
}
