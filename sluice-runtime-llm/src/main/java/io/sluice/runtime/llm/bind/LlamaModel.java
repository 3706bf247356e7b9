package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A GGUF model's weights and vocabulary, shared by its contexts. Thread-safe (llama.cpp's
 * vocabulary is).
 */
public final class LlamaModel implements AutoCloseable {
  private volatile java.util.Set<Integer> shownSpecial = java.util.Set.of();

  private final MemorySegment model;
  private final MemorySegment vocab;
  private final int vocabularySize;
  private boolean closed;

  private LlamaModel(MemorySegment model) throws Throwable {
    this.model = model;
    this.vocab = (MemorySegment) Native.llama_model_get_vocab.invokeExact(model);
    this.vocabularySize = (int) Native.llama_vocab_n_tokens.invokeExact(vocab);
  }

  /**
   * Loads a GGUF file; {@code gpuLayers} layers go to the GPU device when there is one (-1: all).
   */
  public static LlamaModel load(LlamaLibrary library, Path file, int gpuLayers) {
    return load(file, gpuLayers, false);
  }

  /** A GGUF file's layer count, read without loading its weights. */
  public static int layers(LlamaLibrary library, Path file) {
    try (LlamaModel header = load(file, 0, true)) {
      return (int) Native.llama_model_n_layer.invokeExact(header.model);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private static LlamaModel load(Path file, int gpuLayers, boolean vocabularyOnly) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params =
          (MemorySegment) Native.llama_model_default_params.invokeExact((SegmentAllocator) arena);
      params.set(JAVA_INT, Layouts.offset(Layouts.MODEL_PARAMS, "n_gpu_layers"), gpuLayers);
      params.set(
          ValueLayout.JAVA_BOOLEAN,
          Layouts.offset(Layouts.MODEL_PARAMS, "vocab_only"),
          vocabularyOnly);
      MemorySegment model =
          (MemorySegment)
              Native.llama_model_load_from_file.invokeExact(
                  arena.allocateFrom(file.toString()), params);
      if (model.equals(MemorySegment.NULL)) {
        throw new IllegalArgumentException("llama.cpp cannot load " + file + " (see its log)");
      }
      return new LlamaModel(model);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  MemorySegment pointer() {
    return model;
  }

  /**
   * Loads a LoRA adapter (a GGUF of {@code general.type} adapter, made for this model's
   * architecture and shapes); it lives as long as the model.
   */
  public MemorySegment loadAdapter(Path file) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment adapter =
          (MemorySegment)
              Native.llama_adapter_lora_init.invokeExact(
                  model, arena.allocateFrom(file.toString()));
      if (adapter.equals(MemorySegment.NULL)) {
        throw new IllegalArgumentException(
            "llama.cpp cannot load the LoRA adapter " + file + " (see its log)");
      }
      return adapter;
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  MemorySegment vocab() {
    return vocab;
  }

  public int vocabularySize() {
    return vocabularySize;
  }

  public String description() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(256);
      int length = (int) Native.llama_model_desc.invokeExact(model, buffer, 256L);
      return length < 0 ? "" : buffer.getString(0);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  public int trainedContext() {
    return call(() -> (int) Native.llama_model_n_ctx_train.invokeExact(model));
  }

  public int embeddingSize() {
    return call(() -> (int) Native.llama_model_n_embd.invokeExact(model));
  }

  /** Bytes of the model's weights (llama.cpp's {@code llama_model_size}). */
  public long weightBytes() {
    return call(() -> (long) Native.llama_model_size.invokeExact(model));
  }

  /**
   * Bytes the KV cache of {@code cells} cells takes, at llama.cpp's default F16 keys and values:
   * cells x layers x 2 (K and V) x the key/value width (embedding / heads x KV heads) x 2 bytes.
   */
  public long kvCacheBytes(int cells) {
    int layers = call(() -> (int) Native.llama_model_n_layer.invokeExact(model));
    int heads = call(() -> (int) Native.llama_model_n_head.invokeExact(model));
    int kvHeads = call(() -> (int) Native.llama_model_n_head_kv.invokeExact(model));
    long width = heads <= 0 ? embeddingSize() : (long) embeddingSize() / heads * kvHeads;
    return (long) cells * layers * 2 * width * 2;
  }

  /** The GGUF's {@code tokenizer.chat_template}, or null. */
  public String chatTemplate() {
    return call(
        () ->
            LlamaLibrary.string(
                (MemorySegment)
                    Native.llama_model_chat_template.invokeExact(model, MemorySegment.NULL)));
  }

  /** The text of a token as the vocabulary stores it ("&lt;s&gt;", "&lt;|im_end|&gt;"). */
  public String tokenText(int token) {
    if (token < 0 || token >= vocabularySize) {
      return "";
    }
    return call(
        () ->
            LlamaLibrary.string(
                (MemorySegment) Native.llama_vocab_get_text.invokeExact(vocab, token)));
  }

  public int bos() {
    return call(() -> (int) Native.llama_vocab_bos.invokeExact(vocab));
  }

  public int eos() {
    return call(() -> (int) Native.llama_vocab_eos.invokeExact(vocab));
  }

  /**
   * Tokenizes text. {@code addSpecial} adds BOS where the model wants one; {@code parseSpecial}
   * turns the text of special tokens ("&lt;|im_start|&gt;") into those tokens, as a rendered chat
   * template needs.
   */
  public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
    try (Arena arena = Arena.ofConfined()) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      MemorySegment input = arena.allocate(bytes.length + 1L);
      MemorySegment.copy(bytes, 0, input, JAVA_BYTE, 0, bytes.length);
      int capacity = bytes.length + 8;
      MemorySegment output = arena.allocate(JAVA_INT, capacity);
      int count =
          (int)
              Native.llama_tokenize.invokeExact(
                  vocab, input, bytes.length, output, capacity, addSpecial, parseSpecial);
      if (count < 0) {
        output = arena.allocate(JAVA_INT, -count);
        count =
            (int)
                Native.llama_tokenize.invokeExact(
                    vocab, input, bytes.length, output, -count, addSpecial, parseSpecial);
      }
      return output.asSlice(0, 4L * count).toArray(JAVA_INT);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Makes the special tokens spelled by {@code texts} (a family's call and thinking markers) decode
   * as their text; call before generating.
   */
  public void showAsText(java.util.List<String> texts) {
    java.util.Set<Integer> shown = new java.util.HashSet<>();
    for (String text : texts) {
      int[] tokens = tokenize(text, false, true);
      if (tokens.length == 1) {
        shown.add(tokens[0]);
      }
    }
    shownSpecial = java.util.Set.copyOf(shown);
  }

  /**
   * The bytes a token stands for; special tokens (end of turn) give none, but those made visible by
   * {@link #showAsText}.
   */
  public byte[] piece(int token) {
    boolean special = shownSpecial.contains(token);
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = arena.allocate(128);
      int length =
          (int) Native.llama_token_to_piece.invokeExact(vocab, token, buffer, 128, 0, special);
      if (length < 0) {
        buffer = arena.allocate(-length);
        length =
            (int)
                Native.llama_token_to_piece.invokeExact(vocab, token, buffer, -length, 0, special);
      }
      return length <= 0 ? new byte[0] : buffer.asSlice(0, length).toArray(JAVA_BYTE);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  public boolean endsGeneration(int token) {
    return call(() -> (boolean) Native.llama_vocab_is_eog.invokeExact(vocab, token));
  }

  /**
   * A downcall whose only failure is a bug: its {@code Throwable} becomes an unchecked exception.
   */
  private interface Downcall<T> {
    T call() throws Throwable;
  }

  private static <T> T call(Downcall<T> downcall) {
    try {
      return downcall.call();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      try {
        Native.llama_model_free.invokeExact(model);
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
