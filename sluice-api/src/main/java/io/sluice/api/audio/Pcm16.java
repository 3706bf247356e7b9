package io.sluice.api.audio;

import io.sluice.api.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Mono 16-bit signed little-endian PCM at a sample rate: what speech runtimes take and give. Reads
 * WAV (PCM 8/16/24/32-bit integer or 32-bit float, any rate, any channel count, mixed down to mono)
 * and writes WAV; resamples linearly.
 */
public record Pcm16(short[] samples, int sampleRate) {
  /** Zero crossings of the resampling kernel on each side, at the output's cutoff. */
  private static final int RESAMPLE_ZERO_CROSSINGS = 12;

  /** The highest sample rate read (studio audio goes to 384 kHz). */
  private static final int MAX_RATE = 384_000;

  /** Formats this reader accepts, for error messages. */
  public static final String SUPPORTED =
      "WAV (PCM 8/16/24/32-bit or 32-bit float, 1-384 kHz, any channels) or raw 16-bit mono PCM";

  public double seconds() {
    return (double) samples.length / sampleRate;
  }

  /** Whether the bytes start like a RIFF/WAVE file. */
  public static boolean isWav(byte[] bytes) {
    return bytes.length >= 12
        && bytes[0] == 'R'
        && bytes[1] == 'I'
        && bytes[2] == 'F'
        && bytes[3] == 'F'
        && bytes[8] == 'W'
        && bytes[9] == 'A'
        && bytes[10] == 'V'
        && bytes[11] == 'E';
  }

  /** Raw 16-bit little-endian mono samples. */
  public static Pcm16 raw(byte[] bytes, int sampleRate) {
    if (bytes.length % 2 != 0) {
      throw new InvalidInputException(
          "raw PCM must hold whole 16-bit samples; got " + bytes.length + " bytes");
    }
    short[] samples = new short[bytes.length / 2];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
    return new Pcm16(samples, sampleRate);
  }

  /**
   * Parses a WAV file; anything else is an {@link InvalidInputException} naming the supported
   * formats.
   */
  public static Pcm16 wav(byte[] bytes) {
    if (!isWav(bytes)) {
      throw new InvalidInputException("audio is not a WAV file; supported: " + SUPPORTED);
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    in.position(12);
    int format = -1;
    int channels = 0;
    int rate = 0;
    int bits = 0;
    while (in.remaining() >= 8) {
      int id = in.getInt();
      long size = Integer.toUnsignedLong(in.getInt());
      if (id == 0x20746d66) { // "fmt "
        if (size < 16 || size > in.remaining()) {
          throw new InvalidInputException(
              "WAV format chunk of " + size + " bytes is malformed; it needs at least 16");
        }
        format = in.getShort(in.position()) & 0xFFFF;
        channels = in.getShort(in.position() + 2) & 0xFFFF;
        rate = in.getInt(in.position() + 4);
        bits = in.getShort(in.position() + 14) & 0xFFFF;
        if (format == 0xFFFE && size >= 26) {
          format =
              in.getShort(in.position() + 24) & 0xFFFF; // WAVE_FORMAT_EXTENSIBLE: the sub-format
        }
      } else if (id == 0x61746164) { // "data"
        if (format < 0) {
          throw new InvalidInputException("WAV file has its data before its format chunk");
        }
        int length = (int) Math.min(size, in.remaining());
        return decode(
            in.slice(in.position(), length).order(ByteOrder.LITTLE_ENDIAN),
            format,
            channels,
            rate,
            bits);
      }
      in.position((int) Math.min(in.limit(), in.position() + size + (size & 1)));
    }
    throw new InvalidInputException("WAV file has no data chunk");
  }

  private static Pcm16 decode(ByteBuffer data, int format, int channels, int rate, int bits) {
    boolean pcm = format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32);
    boolean floats = format == 3 && bits == 32;
    if ((!pcm && !floats) || channels < 1 || rate < 1000 || rate > MAX_RATE) {
      throw new InvalidInputException(
          "unsupported WAV encoding (format "
              + format
              + ", "
              + bits
              + "-bit, "
              + channels
              + " channels, "
              + rate
              + " Hz); supported: "
              + SUPPORTED);
    }
    int frameBytes = channels * bits / 8;
    int frames = data.remaining() / frameBytes;
    short[] samples = new short[frames];
    for (int f = 0; f < frames; f++) {
      double sum = 0;
      for (int c = 0; c < channels; c++) {
        int at = f * frameBytes + c * bits / 8;
        sum +=
            switch (bits) {
              case 8 -> ((data.get(at) & 0xFF) - 128) / 128.0;
              case 16 -> data.getShort(at) / 32768.0;
              case 24 ->
                  ((data.get(at) & 0xFF)
                          | ((data.get(at + 1) & 0xFF) << 8)
                          | (data.get(at + 2) << 16))
                      / 8388608.0;
              default -> floats ? data.getFloat(at) : data.getInt(at) / 2147483648.0;
            };
      }
      samples[f] =
          (short)
              Math.max(
                  Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(sum / channels * 32767)));
    }
    return new Pcm16(samples, rate);
  }

  /**
   * Resampling to {@code rate} with a Hann-windowed sinc kernel whose cutoff is the lower of the
   * two Nyquist frequencies, so downsampling does not fold high frequencies back into the speech
   * band.
   */
  public Pcm16 resample(int rate) {
    if (rate == sampleRate || samples.length == 0) {
      return this;
    }
    double ratio = (double) rate / sampleRate;
    double cutoff = Math.min(1.0, ratio); // of the input's Nyquist frequency
    double support =
        RESAMPLE_ZERO_CROSSINGS / cutoff; // input samples on each side of the kernel's centre
    int length = (int) Math.max(1, Math.round(samples.length * ratio));
    short[] out = new short[length];
    for (int i = 0; i < length; i++) {
      double position = i / ratio;
      int first = Math.max(0, (int) Math.ceil(position - support));
      int last = Math.min(samples.length - 1, (int) Math.floor(position + support));
      double sum = 0;
      double weights = 0;
      for (int j = first; j <= last; j++) {
        double distance = position - j;
        double x = distance * cutoff;
        double sinc = x == 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        double window = 0.5 + 0.5 * Math.cos(Math.PI * distance / support);
        double weight = sinc * window;
        sum += samples[j] * weight;
        weights += weight;
      }
      double value = weights == 0 ? 0 : sum / weights;
      out[i] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(value)));
    }
    return new Pcm16(out, rate);
  }

  /** The samples as 16-bit little-endian bytes. */
  public byte[] rawBytes() {
    ByteBuffer out = ByteBuffer.allocate(samples.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    out.asShortBuffer().put(samples);
    return out.array();
  }

  /**
   * The 44-byte header of a mono 16-bit WAV stream whose length is not known yet: RIFF and data
   * sizes are {@code 0xFFFFFFFF}, as OpenAI's streamed speech and browsers' players use them.
   */
  public static byte[] streamingWavHeader(int sampleRate) {
    ByteBuffer out = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(0x46464952).putInt(-1).putInt(0x45564157);
    out.putInt(0x20746d66)
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) 1)
        .putInt(sampleRate)
        .putInt(sampleRate * 2)
        .putShort((short) 2)
        .putShort((short) 16);
    out.putInt(0x61746164).putInt(-1);
    return out.array();
  }

  /** A mono 16-bit PCM WAV file. */
  public byte[] wavBytes() {
    byte[] pcm = rawBytes();
    ByteBuffer out = ByteBuffer.allocate(44 + pcm.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(0x46464952).putInt(36 + pcm.length).putInt(0x45564157); // RIFF, size, WAVE
    out.putInt(0x20746d66)
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) 1) // fmt, PCM, mono
        .putInt(sampleRate)
        .putInt(sampleRate * 2)
        .putShort((short) 2)
        .putShort((short) 16);
    out.putInt(0x61746164).putInt(pcm.length).put(pcm); // data
    return out.array();
  }
}
