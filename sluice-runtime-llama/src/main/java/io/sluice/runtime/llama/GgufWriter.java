package io.sluice.runtime.llama;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Writes GGUF v3 files of llama-architecture models with seeded random F32 weights: real architecture,
 * no real weights (none exist in the registries this project may use). The vocabulary is SentencePiece
 * style: control tokens, the 256 byte tokens, and a few dozen word pieces; the output projection gives
 * only the word pieces non-zero weights, so sampling emits readable pieces and never ends early.
 *
 * <p>{@code java -cp ... io.sluice.runtime.llama.GgufWriter OUT.gguf [EMBEDDING] [LAYERS]}; bin/sluice writes the
 * default configuration's tiny model with it on first run.
 */
public final class GgufWriter {
  static final int T_UINT32 = 4, T_INT32 = 5, T_FLOAT32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9, T_UINT64 = 10;
  private final List<Object[]> kvs = new ArrayList<>();
  private final List<Object[]> tensors = new ArrayList<>(); // name, dims (ggml order), values

  private void kv(String key, int type, Object value) { kvs.add(new Object[]{key, type, value}); }

  private GgufWriter() {}

  public static void main(String[] a) throws IOException {
    writeLlama(Path.of(a[0]), a.length > 1 ? Integer.parseInt(a[1]) : 64, a.length > 2 ? Integer.parseInt(a[2]) : 2);
  }

  /** A llama model of {@code nEmbd} width and {@code nLayer} blocks (4 heads, feed-forward 2x width). */
  public static void writeLlama(Path file, int nEmbd, int nLayer) throws IOException {
    int nHead = 4;
    int nFf = nEmbd * 2;
    int ctx = 4096;
    GgufWriter w = new GgufWriter();
    List<String> tokens = new ArrayList<>(); List<Float> scores = new ArrayList<>(); List<Integer> types = new ArrayList<>();
    tokens.add("<unk>"); types.add(2); scores.add(0f);
    tokens.add("<s>"); types.add(3); scores.add(0f);
    tokens.add("</s>"); types.add(3); scores.add(0f);
    for (int b = 0; b < 256; b++) { tokens.add(String.format("<0x%02X>", b)); types.add(6); scores.add(0f); }
    String[] pieces = "▁the ▁a ▁of ▁and ▁to ▁in ▁is ▁it ▁that ▁for ▁on ▁with ▁as ▁was ▁at ▁by ▁be ▁this ▁from ▁or ▁an ▁are ▁not ▁but ▁we ▁you ▁all ▁can ▁one ▁has ▁more ▁will ▁model ▁serve ▁fast ▁river ▁gate ▁water ▁flow ▁cat ▁dog ▁sun ▁moon ▁star ▁tree ▁sky ▁blue ▁red ▁green ▁hello ▁world ▁yes ▁no ▁good ▁day ▁night . , ! ? s ed ing ly ▁".split(" ");
    for (int i = 0; i < pieces.length; i++) { tokens.add(pieces[i]); types.add(1); scores.add(-(float) i - 1); }
    int nVocab = tokens.size();
    w.kv("general.architecture", T_STRING, "llama");
    w.kv("general.name", T_STRING, "sluice-random-llama");
    w.kv("general.alignment", T_UINT32, 32);
    w.kv("llama.context_length", T_UINT32, ctx);
    w.kv("llama.embedding_length", T_UINT32, nEmbd);
    w.kv("llama.block_count", T_UINT32, nLayer);
    w.kv("llama.feed_forward_length", T_UINT32, nFf);
    w.kv("llama.attention.head_count", T_UINT32, nHead);
    w.kv("llama.attention.head_count_kv", T_UINT32, nHead);
    w.kv("llama.rope.dimension_count", T_UINT32, nEmbd / nHead);
    w.kv("llama.attention.layer_norm_rms_epsilon", T_FLOAT32, 1e-5f);
    w.kv("llama.vocab_size", T_UINT32, nVocab);
    w.kv("tokenizer.ggml.model", T_STRING, "llama");
    w.kv("tokenizer.ggml.tokens", T_ARRAY, new Object[]{T_STRING, tokens});
    w.kv("tokenizer.ggml.scores", T_ARRAY, new Object[]{T_FLOAT32, scores});
    w.kv("tokenizer.ggml.token_type", T_ARRAY, new Object[]{T_INT32, types});
    w.kv("tokenizer.ggml.unknown_token_id", T_UINT32, 0);
    w.kv("tokenizer.ggml.bos_token_id", T_UINT32, 1);
    w.kv("tokenizer.ggml.eos_token_id", T_UINT32, 2);
    w.kv("tokenizer.ggml.add_bos_token", T_BOOL, true);
    w.kv("tokenizer.chat_template", T_STRING,
        "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}");
    Random r = new Random(7);
    w.tensor("token_embd.weight", new long[]{nEmbd, nVocab}, r, 0.02f, null);
    w.tensor("output_norm.weight", new long[]{nEmbd}, null, 1f, null);
    // Output rows for control and byte tokens stay zero; the word pieces get large random weights, so sampling
    // picks printable pieces and never ends early on </s>.
    float[] out = new float[nEmbd * nVocab];
    for (int t = 3 + 256; t < nVocab; t++) for (int d = 0; d < nEmbd; d++) out[t * nEmbd + d] = (float) r.nextGaussian() * 3f;
    w.tensor("output.weight", new long[]{nEmbd, nVocab}, null, 0, out);
    for (int l = 0; l < nLayer; l++) {
      String p = "blk." + l + ".";
      w.tensor(p + "attn_norm.weight", new long[]{nEmbd}, null, 1f, null);
      w.tensor(p + "attn_q.weight", new long[]{nEmbd, nEmbd}, r, 0.02f, null);
      w.tensor(p + "attn_k.weight", new long[]{nEmbd, nEmbd}, r, 0.02f, null);
      w.tensor(p + "attn_v.weight", new long[]{nEmbd, nEmbd}, r, 0.02f, null);
      w.tensor(p + "attn_output.weight", new long[]{nEmbd, nEmbd}, r, 0.02f, null);
      w.tensor(p + "ffn_norm.weight", new long[]{nEmbd}, null, 1f, null);
      w.tensor(p + "ffn_gate.weight", new long[]{nEmbd, nFf}, r, 0.02f, null);
      w.tensor(p + "ffn_up.weight", new long[]{nEmbd, nFf}, r, 0.02f, null);
      w.tensor(p + "ffn_down.weight", new long[]{nFf, nEmbd}, r, 0.02f, null);
    }
    w.write(file);
  }

  private void tensor(String name, long[] dims, Random r, float scale, float[] values) {
    long n = 1; for (long d : dims) n *= d;
    float[] v = values != null ? values : new float[(int) n];
    if (values == null) for (int i = 0; i < n; i++) v[i] = r == null ? scale : (float) r.nextGaussian() * scale;
    tensors.add(new Object[]{name, dims, v});
  }

  private void write(Path file) throws IOException {
    long size = 1 << 20;
    for (Object[] t : tensors) {
      size += align(((float[]) t[2]).length * 4L) + 256;
    }
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
    b.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(tensors.size()).putLong(kvs.size());
    for (Object[] kv : kvs) { str(b, (String) kv[0]); b.putInt((int) kv[1]); value(b, (int) kv[1], kv[2]); }
    long offset = 0;
    for (Object[] t : tensors) {
      str(b, (String) t[0]); long[] dims = (long[]) t[1]; b.putInt(dims.length); for (long d : dims) b.putLong(d);
      b.putInt(0); b.putLong(offset); offset += align(((float[]) t[2]).length * 4L);
    }
    while (b.position() % 32 != 0) b.put((byte) 0);
    for (Object[] t : tensors) {
      int start = b.position(); for (float f : (float[]) t[2]) b.putFloat(f);
      while ((b.position() - start) % 32 != 0) b.put((byte) 0);
    }
    b.flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) { ch.write(b); }
  }
  static long align(long n) { return (n + 31) / 32 * 32; }
  static void str(ByteBuffer b, String s) { byte[] x = s.getBytes(StandardCharsets.UTF_8); b.putLong(x.length).put(x); }
  @SuppressWarnings("unchecked")
  static void value(ByteBuffer b, int type, Object v) {
    switch (type) {
      case T_UINT32, T_INT32 -> b.putInt((Integer) v);
      case T_FLOAT32 -> b.putFloat((Float) v);
      case T_BOOL -> b.put((byte) ((Boolean) v ? 1 : 0));
      case T_STRING -> str(b, (String) v);
      case T_UINT64 -> b.putLong((Long) v);
      case T_ARRAY -> { Object[] arr = (Object[]) v; int et = (int) arr[0]; List<Object> items = (List<Object>) arr[1];
        b.putInt(et).putLong(items.size()); for (Object o : items) value(b, et, o); }
      default -> throw new IllegalArgumentException();
    }
  }
}
