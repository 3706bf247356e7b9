package io.sluice.runtime.llm.gguf;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes GGUF models of a real architecture with seeded random weights: no real LLM weights exist
 * in the registries this project may use, yet llama.cpp runs these at the speed of the real shape.
 * Weight matrices are F32 or Q8_0 (norms and biases stay F32, as in real quantized files). The
 * output projection gives non-zero weight only to word pieces, so sampling prints readable made-up
 * words and never ends early.
 *
 * <pre>
 * java -cp ... io.sluice.runtime.llm.gguf.RandomModelWriter OUT.gguf [EMBEDDING LAYERS]   (a tiny F32 llama)
 * java -cp ... io.sluice.runtime.llm.gguf.RandomModelWriter OUT.gguf qwen2.5-0.5b [q8_0|f32]
 * java -cp ... io.sluice.runtime.llm.gguf.RandomModelWriter OUT.gguf lora EMBEDDING LAYERS RANK SEED
 * </pre>
 */
public final class RandomModelWriter {
  /** A template llama.cpp does not know by name: with Jinja rendering on it still applies. */
  static final String TINY_TEMPLATE =
      "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
          + "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

  /** Qwen2.5's template for plain chats (its tool-calling branches left out). */
  static final String QWEN_TEMPLATE =
      "{%- if messages[0]['role'] == 'system' %}"
          + "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
          + "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
          + "{%- endif %}{%- for message in messages %}{%- if not (message['role'] == 'system' and loop.first) %}"
          + "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}"
          + "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

  private static final float WEIGHT_SCALE = 0.02f;
  private static final float PIECE_OUTPUT_SCALE = 3f;

  private RandomModelWriter() {}

  public static void main(String[] args) throws IOException {
    if (args.length == 0) {
      System.err.println(
          "usage: RandomModelWriter OUT.gguf [EMBEDDING LAYERS | SHAPE [q8_0|f32]]"
              + " (SHAPE: qwen2.5-0.5b, llama-12x768, llama-3.2-1b)");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    if (args.length > 1 && args[1].equalsIgnoreCase("lora")) {
      writeTinyLlamaLora(
          out,
          Integer.parseInt(args[2]),
          Integer.parseInt(args[3]),
          Integer.parseInt(args[4]),
          Long.parseLong(args[5]));
      return;
    }
    ModelShape named = args.length > 1 ? ModelShape.named(args[1]) : null;
    if (named != null) {
      GgmlType type =
          args.length > 2 ? GgmlType.valueOf(args[2].toUpperCase(Locale.ROOT)) : GgmlType.Q8_0;
      write(out, named, type);
    } else {
      write(
          out,
          ModelShape.tinyLlama(
              args.length > 1 ? Integer.parseInt(args[1]) : 64,
              args.length > 2 ? Integer.parseInt(args[2]) : 2),
          GgmlType.F32);
    }
  }

  /**
   * A tiny F32 llama of {@code embedding} width and {@code layers} blocks (what tests and the
   * default config use).
   */
  public static void writeTinyLlama(Path file, int embedding, int layers) throws IOException {
    write(file, ModelShape.tinyLlama(embedding, layers), GgmlType.F32);
  }

  public static void write(Path file, ModelShape shape, GgmlType matrixType) throws IOException {
    boolean chatMl = shape.architecture().equals("qwen2");
    List<String> control = new ArrayList<>(List.of("<s>", "</s>"));
    if (chatMl) {
      control.addAll(List.of("<|im_start|>", "<|im_end|>"));
    }
    Vocabulary vocabulary = new Vocabulary(control, shape.vocabulary());
    String arch = shape.architecture();
    GgufFile gguf =
        new GgufFile()
            .put("general.architecture", arch)
            .put("general.name", "sluice-random-" + arch)
            .put(arch + ".context_length", new GgufFile.UInt32(shape.context()))
            .put(arch + ".embedding_length", new GgufFile.UInt32(shape.embedding()))
            .put(arch + ".block_count", new GgufFile.UInt32(shape.layers()))
            .put(arch + ".feed_forward_length", new GgufFile.UInt32(shape.feedForward()))
            .put(arch + ".attention.head_count", new GgufFile.UInt32(shape.heads()))
            .put(arch + ".attention.head_count_kv", new GgufFile.UInt32(shape.kvHeads()))
            .put(arch + ".rope.dimension_count", new GgufFile.UInt32(shape.headDimension()))
            .put(arch + ".rope.freq_base", shape.ropeBase())
            .put(arch + ".attention.layer_norm_rms_epsilon", shape.rmsEpsilon())
            .put(arch + ".vocab_size", new GgufFile.UInt32(vocabulary.size()))
            .put("tokenizer.ggml.model", "llama")
            .put("tokenizer.ggml.tokens", vocabulary.tokens)
            .put("tokenizer.ggml.scores", vocabulary.scoreArray())
            .put("tokenizer.ggml.token_type", new GgufFile.Int32Array(vocabulary.typeArray()))
            .put("tokenizer.ggml.unknown_token_id", new GgufFile.UInt32(vocabulary.id("<unk>")))
            .put("tokenizer.ggml.bos_token_id", new GgufFile.UInt32(vocabulary.id("<s>")))
            .put(
                "tokenizer.ggml.eos_token_id",
                new GgufFile.UInt32(vocabulary.id(chatMl ? "<|im_end|>" : "</s>")))
            .put("tokenizer.ggml.add_bos_token", !chatMl)
            .put("tokenizer.chat_template", chatMl ? QWEN_TEMPLATE : TINY_TEMPLATE);

    long seed = 7;
    int width = shape.embedding();
    int kvWidth = shape.kvWidth();
    // Rows of token_embd are tokens. Tied: it is also the output projection, so only word pieces
    // get weight.
    gguf.tensor(
        "token_embd.weight",
        matrixType,
        shape.tiedOutput() ? pieceRows(vocabulary, seed) : uniform(seed, WEIGHT_SCALE),
        width,
        vocabulary.size());
    gguf.tensor("output_norm.weight", GgmlType.F32, ones(), width);
    if (!shape.tiedOutput()) {
      gguf.tensor(
          "output.weight", matrixType, pieceRows(vocabulary, seed + 1), width, vocabulary.size());
    }
    for (int layer = 0; layer < shape.layers(); layer++) {
      String block = "blk." + layer + ".";
      long layerSeed = seed + 100L * (layer + 1);
      gguf.tensor(block + "attn_norm.weight", GgmlType.F32, ones(), width);
      gguf.tensor(
          block + "attn_q.weight", matrixType, uniform(layerSeed + 1, WEIGHT_SCALE), width, width);
      gguf.tensor(
          block + "attn_k.weight",
          matrixType,
          uniform(layerSeed + 2, WEIGHT_SCALE),
          width,
          kvWidth);
      gguf.tensor(
          block + "attn_v.weight",
          matrixType,
          uniform(layerSeed + 3, WEIGHT_SCALE),
          width,
          kvWidth);
      if (shape.qkvBias()) {
        gguf.tensor(
            block + "attn_q.bias", GgmlType.F32, uniform(layerSeed + 4, WEIGHT_SCALE), width);
        gguf.tensor(
            block + "attn_k.bias", GgmlType.F32, uniform(layerSeed + 5, WEIGHT_SCALE), kvWidth);
        gguf.tensor(
            block + "attn_v.bias", GgmlType.F32, uniform(layerSeed + 6, WEIGHT_SCALE), kvWidth);
      }
      gguf.tensor(
          block + "attn_output.weight",
          matrixType,
          uniform(layerSeed + 7, WEIGHT_SCALE),
          width,
          width);
      gguf.tensor(block + "ffn_norm.weight", GgmlType.F32, ones(), width);
      gguf.tensor(
          block + "ffn_gate.weight",
          matrixType,
          uniform(layerSeed + 8, WEIGHT_SCALE),
          width,
          shape.feedForward());
      gguf.tensor(
          block + "ffn_up.weight",
          matrixType,
          uniform(layerSeed + 9, WEIGHT_SCALE),
          width,
          shape.feedForward());
      gguf.tensor(
          block + "ffn_down.weight",
          matrixType,
          uniform(layerSeed + 10, WEIGHT_SCALE),
          shape.feedForward(),
          width);
    }
    gguf.write(file);
  }

  /**
   * A random LoRA adapter for {@link #writeTinyLlama}'s model of the same {@code embedding} and
   * {@code layers}: rank-{@code rank} updates of every block's query and value projections, large
   * enough to change what the model writes; {@code seed} makes different adapters.
   */
  public static void writeTinyLlamaLora(Path file, int embedding, int layers, int rank, long seed)
      throws IOException {
    ModelShape shape = ModelShape.tinyLlama(embedding, layers);
    String arch = shape.architecture();
    GgufFile gguf =
        new GgufFile()
            .put("general.architecture", arch)
            .put("general.type", "adapter")
            .put("general.name", "sluice-random-lora-" + seed)
            .put("adapter.type", "lora")
            .put("adapter.lora.alpha", (float) rank);
    for (int layer = 0; layer < layers; layer++) {
      String block = "blk." + layer + ".";
      long layerSeed = seed * 1_000 + 10L * layer;
      for (String projection : List.of("attn_q", "attn_v")) {
        int out = projection.equals("attn_q") ? shape.embedding() : shape.kvWidth();
        gguf.tensor(
            block + projection + ".weight.lora_a",
            GgmlType.F32,
            uniform(layerSeed + projection.length(), LORA_SCALE),
            shape.embedding(),
            rank);
        gguf.tensor(
            block + projection + ".weight.lora_b",
            GgmlType.F32,
            uniform(layerSeed + 7 + projection.length(), LORA_SCALE),
            rank,
            out);
      }
    }
    gguf.write(file);
  }

  private static final float LORA_SCALE = 0.1f;

  private static GgufFile.RowSource ones() {
    return (index, row) -> java.util.Arrays.fill(row, 1f);
  }

  /**
   * Uniform values with standard deviation {@code scale} (rows are drawn in order, one generator
   * per tensor).
   */
  private static GgufFile.RowSource uniform(long seed, float scale) {
    SplittableRandom random = new SplittableRandom(seed);
    float half = scale * (float) Math.sqrt(3);
    return (index, row) -> {
      for (int i = 0; i < row.length; i++) {
        row[i] = (float) (random.nextDouble() * 2 - 1) * half;
      }
    };
  }

  /** Zero rows for control and byte tokens; large random rows for word pieces. */
  private static GgufFile.RowSource pieceRows(Vocabulary vocabulary, long seed) {
    GgufFile.RowSource pieces = uniform(seed, PIECE_OUTPUT_SCALE);
    return (token, row) -> {
      if (token < vocabulary.firstPiece) {
        java.util.Arrays.fill(row, 0f);
      } else {
        pieces.fill(token, row);
      }
    };
  }
}
