package io.sluice.runtime.asr.whisper;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes whisper.cpp model files (the ggml format {@code whisper_model_load} reads) of Whisper's
 * real architecture with seeded random weights: no Whisper weights exist in the registries this
 * project may use, yet whisper.cpp loads and runs these at the speed of the real shape (what tests
 * and benchmarks need). The mel filterbank is the real one (Slaney-style, as Whisper's), the
 * vocabulary is made up, and the transcripts are nonsense.
 *
 * <p>{@code java -cp ... io.sluice.runtime.asr.whisper.RandomWhisperWriter OUT.bin [tiny|base]}
 */
public final class RandomWhisperWriter {
  private static final int MAGIC = 0x67676d6c; // "ggml"
  private static final int F32 = 0;
  private static final int F16 = 1;
  private static final int SAMPLE_RATE = 16_000;
  private static final int N_FFT = 400;
  private static final int N_MELS = 80;

  /**
   * English-only vocabulary size: text tokens, then whisper.cpp adds the special and timestamp
   * tokens.
   */
  private static final int N_VOCAB = 51_864;

  private static final int TEXT_TOKENS = 50_257;

  /** Whisper's published sizes. */
  public enum Size {
    TINY(384, 6, 4),
    BASE(512, 8, 6);

    final int state;
    final int heads;
    final int layers;

    Size(int state, int heads, int layers) {
      this.state = state;
      this.heads = heads;
      this.layers = layers;
    }
  }

  private final DataOutputStream out;
  private final SplittableRandom random = new SplittableRandom(11);

  private RandomWhisperWriter(DataOutputStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws IOException {
    write(
        Path.of(args[0]),
        args.length > 1 ? Size.valueOf(args[1].toUpperCase(java.util.Locale.ROOT)) : Size.TINY);
  }

  public static void write(Path file, Size size) throws IOException {
    try (OutputStream stream = Files.newOutputStream(file)) {
      DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream, 1 << 20));
      new RandomWhisperWriter(out).model(size);
      out.flush();
    }
  }

  private void model(Size size) throws IOException {
    int state = size.state;
    int audioContext = 1500;
    int textContext = 448;
    for (int value :
        new int[] {
          MAGIC,
          N_VOCAB,
          audioContext,
          state,
          size.heads,
          size.layers,
          textContext,
          state,
          size.heads,
          size.layers,
          N_MELS,
          F16
        }) {
      int32(value);
    }
    melFilters();
    vocabulary();
    tensor("encoder.positional_embedding", F32, 1f, state, audioContext);
    tensor("encoder.conv1.weight", F16, 0.05f, 3, N_MELS, state);
    tensor("encoder.conv1.bias", F32, 0f, 1, state);
    tensor("encoder.conv2.weight", F16, 0.05f, 3, state, state);
    tensor("encoder.conv2.bias", F32, 0f, 1, state);
    layerNorm("encoder.ln_post", state);
    for (int layer = 0; layer < size.layers; layer++) {
      String block = "encoder.blocks." + layer + ".";
      attention(block + "attn", block + "attn_ln", state);
      mlp(block, state);
    }
    tensor("decoder.positional_embedding", F32, 0.02f, state, textContext);
    tensor("decoder.token_embedding.weight", F16, 0.1f, state, N_VOCAB);
    layerNorm("decoder.ln", state);
    for (int layer = 0; layer < size.layers; layer++) {
      String block = "decoder.blocks." + layer + ".";
      attention(block + "attn", block + "attn_ln", state);
      attention(block + "cross_attn", block + "cross_attn_ln", state);
      mlp(block, state);
    }
  }

  /** Query (with bias), key (without), value (with), out (with), and the layer norm before them. */
  private void attention(String prefix, String norm, int state) throws IOException {
    layerNorm(norm, state);
    tensor(prefix + ".query.weight", F16, 0.05f, state, state);
    tensor(prefix + ".query.bias", F32, 0f, state);
    tensor(prefix + ".key.weight", F16, 0.05f, state, state);
    tensor(prefix + ".value.weight", F16, 0.05f, state, state);
    tensor(prefix + ".value.bias", F32, 0f, state);
    tensor(prefix + ".out.weight", F16, 0.05f, state, state);
    tensor(prefix + ".out.bias", F32, 0f, state);
  }

  private void mlp(String block, int state) throws IOException {
    layerNorm(block + "mlp_ln", state);
    tensor(block + "mlp.0.weight", F16, 0.05f, state, 4 * state);
    tensor(block + "mlp.0.bias", F32, 0f, 4 * state);
    tensor(block + "mlp.2.weight", F16, 0.05f, 4 * state, state);
    tensor(block + "mlp.2.bias", F32, 0f, state);
  }

  private void layerNorm(String prefix, int state) throws IOException {
    tensor(prefix + ".weight", F32, -1f, state);
    tensor(prefix + ".bias", F32, 0f, state);
  }

  /**
   * One tensor record: dimension count, name length, type, dimensions (ggml order), name, data. A
   * scale of -1 writes ones (norm weights), 0 zeros (biases), otherwise uniform values of that
   * standard deviation.
   */
  private void tensor(String name, int type, float scale, int... dims) throws IOException {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    int32(dims.length);
    int32(utf8.length);
    int32(type);
    long count = 1;
    for (int dim : dims) {
      int32(dim);
      count *= dim;
    }
    out.write(utf8);
    float half = scale * (float) Math.sqrt(3);
    for (long i = 0; i < count; i++) {
      float value = scale < 0 ? 1f : scale == 0 ? 0f : (float) (random.nextDouble() * 2 - 1) * half;
      if (type == F16) {
        short bits = Float.floatToFloat16(value);
        out.writeByte(bits & 0xFF);
        out.writeByte((bits >> 8) & 0xFF);
      } else {
        int32(Float.floatToRawIntBits(value));
      }
    }
  }

  /**
   * Whisper's filterbank: 80 triangular filters on the Slaney mel scale over 201 FFT bins,
   * area-normalised.
   */
  private void melFilters() throws IOException {
    int bins = N_FFT / 2 + 1;
    int32(N_MELS);
    int32(bins);
    double[] points = new double[N_MELS + 2];
    double low = hzToMel(0);
    double high = hzToMel(SAMPLE_RATE / 2.0);
    for (int i = 0; i < points.length; i++) {
      points[i] = melToHz(low + (high - low) * i / (N_MELS + 1));
    }
    for (int m = 0; m < N_MELS; m++) {
      double norm = 2.0 / (points[m + 2] - points[m]);
      for (int k = 0; k < bins; k++) {
        double hz = (double) k * SAMPLE_RATE / N_FFT;
        double rising = (hz - points[m]) / (points[m + 1] - points[m]);
        double falling = (points[m + 2] - hz) / (points[m + 2] - points[m + 1]);
        int32(Float.floatToRawIntBits((float) (Math.max(0, Math.min(rising, falling)) * norm)));
      }
    }
  }

  private static double hzToMel(double hz) {
    double linear = 1000.0;
    double step = 200.0 / 3;
    return hz < linear ? hz / step : linear / step + Math.log(hz / linear) / (Math.log(6.4) / 27);
  }

  private static double melToHz(double mel) {
    double linear = 1000.0;
    double step = 200.0 / 3;
    double linearMels = linear / step;
    return mel < linearMels
        ? mel * step
        : linear * Math.exp((Math.log(6.4) / 27) * (mel - linearMels));
  }

  /**
   * Text tokens as raw bytes, as GPT-2's are stored: the 256 single bytes (whisper.cpp looks up "
   * "), made-up words, and last {@code <|endoftext|>} (GPT-2's id 50256).
   */
  private void vocabulary() throws IOException {
    int32(TEXT_TOKENS);
    for (int b = 0; b < 256; b++) {
      int32(1);
      out.writeByte(b);
    }
    String consonants = "bdfgklmnprstvz";
    String vowels = "aeiou";
    for (int id = 0; id < TEXT_TOKENS - 1 - 256; id++) {
      StringBuilder word = new StringBuilder(" ");
      for (int rest = id + 70; rest > 0; rest /= 70) {
        int syllable = rest % 70;
        word.append(consonants.charAt(syllable / 5)).append(vowels.charAt(syllable % 5));
      }
      byte[] bytes = word.toString().getBytes(StandardCharsets.UTF_8);
      int32(bytes.length);
      out.write(bytes);
    }
    byte[] end = "<|endoftext|>".getBytes(StandardCharsets.UTF_8);
    int32(end.length);
    out.write(end);
  }

  private void int32(int value) throws IOException {
    out.writeByte(value & 0xFF);
    out.writeByte((value >> 8) & 0xFF);
    out.writeByte((value >> 16) & 0xFF);
    out.writeByte((value >> 24) & 0xFF);
  }
}
