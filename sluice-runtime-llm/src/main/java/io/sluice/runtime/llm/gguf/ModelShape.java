package io.sluice.runtime.llm.gguf;

/**
 * The shape of a decoder-only transformer as llama.cpp reads it from GGUF metadata.
 *
 * @param architecture llama.cpp's architecture name ({@code llama}, {@code qwen2})
 * @param vocabulary token count, or 0 for just the writer's own word pieces
 * @param tiedOutput whether the output projection reuses the token embeddings (no {@code
 *     output.weight})
 * @param qkvBias whether the attention projections carry biases (Qwen2 does)
 */
public record ModelShape(
    String architecture,
    int embedding,
    int layers,
    int heads,
    int kvHeads,
    int feedForward,
    int vocabulary,
    int context,
    float ropeBase,
    float rmsEpsilon,
    boolean tiedOutput,
    boolean qkvBias) {

  /** Qwen2.5-0.5B's published configuration. */
  public static final ModelShape QWEN2_5_0_5B =
      new ModelShape("qwen2", 896, 24, 14, 2, 4864, 151_936, 32_768, 1_000_000f, 1e-6f, true, true);

  /**
   * A ≈130M-parameter llama, 12 layers of 768 (GPT-2 small's body with Llama's blocks: 12 heads,
   * SwiGLU of 2,048, a 32,000-token vocabulary, untied output).
   */
  public static final ModelShape LLAMA_12X768 =
      new ModelShape("llama", 768, 12, 12, 12, 2048, 32_000, 4096, 10_000f, 1e-5f, false, false);

  /** Llama-3.2-1B's published configuration (1.24B parameters, grouped-query attention). */
  public static final ModelShape LLAMA_3_2_1B =
      new ModelShape(
          "llama", 2048, 16, 32, 8, 8192, 128_256, 131_072, 500_000f, 1e-5f, true, false);

  /** The shapes the benchmarks name, by name. */
  public static ModelShape named(String name) {
    return switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "qwen2.5-0.5b" -> QWEN2_5_0_5B;
      case "llama-12x768" -> LLAMA_12X768;
      case "llama-3.2-1b" -> LLAMA_3_2_1B;
      default -> null;
    };
  }

  /**
   * A small llama: 4 heads, feed-forward twice the width, only the writer's word pieces as
   * vocabulary.
   */
  public static ModelShape tinyLlama(int embedding, int layers) {
    return new ModelShape(
        "llama", embedding, layers, 4, 4, embedding * 2, 0, 4096, 10_000f, 1e-5f, false, false);
  }

  public ModelShape {
    if (embedding % heads != 0 || heads % kvHeads != 0) {
      throw new IllegalArgumentException(
          "embedding must divide into heads, and heads into kv heads");
    }
  }

  int headDimension() {
    return embedding / heads;
  }

  int kvWidth() {
    return headDimension() * kvHeads;
  }
}
