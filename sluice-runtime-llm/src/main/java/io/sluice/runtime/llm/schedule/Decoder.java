package io.sluice.runtime.llm.schedule;

/**
 * What the scheduler needs from a language model with a KV cache: llama.cpp's context in
 * production, a fake in the scheduler's tests. Only the scheduler's thread calls it.
 *
 * <p>Sequence ids are {@code 0 .. sequenceSlots() - 1}; the KV cache of {@code contextCells()}
 * cells is shared by all of them (so a batch can find no room while others hold cells), or split
 * into {@code sequenceCells()} for each.
 */
public interface Decoder {
  /** How many sequences may hold KV cells at once. */
  int sequenceSlots();

  /** The most tokens one {@link #decode} may take. */
  int batchTokens();

  /** KV cells in all. */
  int contextCells();

  /**
   * The most cells one sequence may hold, prompt and generated tokens together: all of them where
   * the sequences share one cache, a share of them where each has a cache of its own.
   */
  default int sequenceCells() {
    return contextCells();
  }

  /**
   * Runs the model on a batch, filling the KV cache. Returns false, with the cache unchanged, when
   * the cache has no room for it; throws on any other failure.
   */
  boolean decode(Batch batch);

  /**
   * Runs the following batches with LoRA adapter {@code adapter} ({@code 0 ..}), or without one
   * ({@link GenerationRequest#NO_ADAPTER}). An adapter applies to a whole batch, so a batch holds
   * the sequences of one adapter only.
   */
  default void useAdapter(int adapter) {
    if (adapter != GenerationRequest.NO_ADAPTER) {
      throw new IllegalArgumentException("this decoder has no adapters");
    }
  }

  /** Drops a sequence's cells from position {@code from} on. */
  void forget(int sequence, int from);

  /**
   * A copy of a sequence's cells outside the KV cache, or null where this decoder cannot make one
   * (then idle prefixes stay in the cache).
   */
  default SavedCells save(int sequence) {
    return null;
  }

  /**
   * Puts saved cells back as {@code sequence}, which holds none. Returns false, with the cache
   * unchanged, when the cache has no room for them.
   */
  default boolean restore(SavedCells cells, int sequence) {
    return false;
  }

  /**
   * A sampler for one generation; it samples from the logits of a batch row that asked for them.
   */
  TokenSampler sampler(SamplingOptions options);

  /** The logits of a batch row that asked for them (a copy, for log-probabilities). */
  float[] logits(int row);

  /** Whether a token ends a generation (end of sequence, end of turn). */
  boolean endsGeneration(int token);

  /** The bytes a token stands for (a piece of UTF-8, maybe not a whole character). */
  byte[] piece(int token);

  /** A sequence's cells copied out of the KV cache ({@link #save}); close frees the copy. */
  interface SavedCells extends AutoCloseable {
    long bytes();

    @Override
    void close();
  }

  /** Samples one token from a batch row's logits and remembers it (penalties, grammar state). */
  interface TokenSampler extends AutoCloseable {
    int sample(int row);

    @Override
    void close();
  }
}
