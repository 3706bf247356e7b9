package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.sluice.api.InvalidInputException;
import io.sluice.runtime.llm.schedule.Batch;
import io.sluice.runtime.llm.schedule.Decoder;
import io.sluice.runtime.llm.schedule.SamplingOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.Map;

/**
 * One llama.cpp context: a KV cache shared by {@code sequences} sequences ({@code kv_unified}, so
 * one long generation may use all of it) or split between them, decoding batches of up to {@code
 * batchTokens} tokens. Only the scheduler's thread uses it.
 */
public final class LlamaContext implements Decoder, AutoCloseable {
  private final LlamaModel model;
  private final MemorySegment context;
  private final CpuThreadPool threadPool; // null where the CPU backend offers none
  private final MemorySegment memory;
  private final Arena arena = Arena.ofShared();
  private final HostBlocks savedBlocks = new HostBlocks();
  private final MemorySegment batch;
  private final MemorySegment tokens;
  private final MemorySegment positions;
  private final MemorySegment sequenceCounts;
  private final MemorySegment[] sequenceIds;
  private final MemorySegment outputs;
  private final int sequences;
  private final int batchTokens;
  private final int contextCells;
  private final int sequenceCells;
  private boolean closed;
  private MemorySegment[] adapters = new MemorySegment[0];
  private int adapterInUse = -1;

  /** llama.cpp's pooling types ({@code enum llama_pooling_type}). */
  public enum Pooling {
    UNSPECIFIED(-1),
    NONE(0),
    MEAN(1),
    CLS(2),
    LAST(3);

    final int code;

    Pooling(int code) {
      this.code = code;
    }
  }

  /** A context for generation, its sequences sharing one KV cache. */
  public LlamaContext(
      LlamaModel model, int contextCells, int sequences, int batchTokens, int threads) {
    this(model, contextCells, sequences, batchTokens, threads, true, null);
  }

  /**
   * A context for generation whose sequences share one KV cache ({@code unified}: one sequence may
   * use all of it) or each have {@code contextCells / sequences} cells of their own (no sequence's
   * attention walks past another's cells).
   */
  public LlamaContext(
      LlamaModel model,
      int contextCells,
      int sequences,
      int batchTokens,
      int threads,
      boolean unified) {
    this(model, contextCells, sequences, batchTokens, threads, unified, null);
  }

  /**
   * A context that outputs one pooled embedding per sequence instead of logits ({@code pooling} not
   * null), or one for generation.
   */
  public LlamaContext(
      LlamaModel model,
      int contextCells,
      int sequences,
      int batchTokens,
      int threads,
      Pooling pooling) {
    this(model, contextCells, sequences, batchTokens, threads, true, pooling);
  }

  private LlamaContext(
      LlamaModel model,
      int contextCells,
      int sequences,
      int batchTokens,
      int threads,
      boolean unified,
      Pooling pooling) {
    this.model = model;
    this.sequences = sequences;
    this.batchTokens = batchTokens;
    try {
      MemorySegment params =
          (MemorySegment) Native.llama_context_default_params.invokeExact((SegmentAllocator) arena);
      params.set(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_ctx"), contextCells);
      params.set(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_batch"), batchTokens);
      params.set(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_ubatch"), batchTokens);
      params.set(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_seq_max"), sequences);
      params.set(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_threads"), threads);
      params.set(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_threads_batch"), threads);
      params.set(JAVA_BOOLEAN, Layouts.offset(Layouts.CONTEXT_PARAMS, "kv_unified"), unified);
      params.set(JAVA_BOOLEAN, Layouts.offset(Layouts.CONTEXT_PARAMS, "no_perf"), true);
      if (pooling != null) {
        params.set(JAVA_BOOLEAN, Layouts.offset(Layouts.CONTEXT_PARAMS, "embeddings"), true);
        params.set(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "pooling_type"), pooling.code);
      }
      context = (MemorySegment) Native.llama_init_from_model.invokeExact(model.pointer(), params);
      if (context.equals(MemorySegment.NULL)) {
        throw new IllegalStateException(
            "llama.cpp could not create a context of "
                + contextCells
                + " cells for "
                + sequences
                + " sequences (see its log)");
      }
      threadPool = CpuThreadPool.attach(context, threads);
      this.contextCells = (int) Native.llama_n_ctx.invokeExact(context);
      this.sequenceCells = (int) Native.llama_n_ctx_seq.invokeExact(context);
      memory = (MemorySegment) Native.llama_get_memory.invokeExact(context);
      batch =
          (MemorySegment)
              Native.llama_batch_init.invokeExact((SegmentAllocator) arena, batchTokens, 0, 1);
      tokens = field("token").reinterpret(4L * batchTokens);
      positions = field("pos").reinterpret(4L * batchTokens);
      sequenceCounts = field("n_seq_id").reinterpret(4L * batchTokens);
      outputs = field("logits").reinterpret(batchTokens);
      MemorySegment idPointers = field("seq_id").reinterpret(8L * (batchTokens + 1));
      sequenceIds = new MemorySegment[batchTokens];
      for (int i = 0; i < batchTokens; i++) {
        sequenceIds[i] = idPointers.getAtIndex(ADDRESS, i).reinterpret(4);
        sequenceCounts.setAtIndex(JAVA_INT, i, 1);
      }
    } catch (RuntimeException e) {
      arena.close();
      throw e;
    } catch (Throwable e) {
      arena.close();
      throw new IllegalStateException(e);
    }
  }

  private MemorySegment field(String name) {
    return batch.get(ADDRESS, Layouts.offset(Layouts.BATCH, name));
  }

  @Override
  public int sequenceSlots() {
    return sequences;
  }

  @Override
  public int batchTokens() {
    return batchTokens;
  }

  @Override
  public int contextCells() {
    return contextCells;
  }

  @Override
  public int sequenceCells() {
    return sequenceCells;
  }

  /** The LoRA adapters {@link #useAdapter} picks from, by index; before the first decode. */
  public void adapters(java.util.List<MemorySegment> loaded) {
    adapters = loaded.toArray(MemorySegment[]::new);
  }

  @Override
  public void useAdapter(int adapter) {
    if (adapter == adapterInUse) {
      return;
    }
    if (adapter >= adapters.length) {
      throw new IllegalArgumentException("no LoRA adapter " + adapter);
    }
    try (Arena call = Arena.ofConfined()) {
      int status;
      if (adapter < 0) {
        status =
            (int)
                Native.llama_set_adapters_lora.invokeExact(
                    context, MemorySegment.NULL, 0L, MemorySegment.NULL);
      } else {
        MemorySegment list = call.allocate(ValueLayout.ADDRESS);
        list.set(ValueLayout.ADDRESS, 0, adapters[adapter]);
        MemorySegment scales = call.allocateFrom(ValueLayout.JAVA_FLOAT, 1f);
        status = (int) Native.llama_set_adapters_lora.invokeExact(context, list, 1L, scales);
      }
      if (status != 0) {
        throw new IllegalStateException("llama.cpp could not apply LoRA adapter " + adapter);
      }
      adapterInUse = adapter;
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean decode(Batch step) {
    int size = step.size();
    for (int row = 0; row < size; row++) {
      tokens.setAtIndex(JAVA_INT, row, step.token(row));
      positions.setAtIndex(JAVA_INT, row, step.position(row));
      sequenceIds[row].set(JAVA_INT, 0, step.sequence(row));
      outputs.set(JAVA_BYTE, row, (byte) (step.output(row) ? 1 : 0));
    }
    batch.set(JAVA_INT, 0, size);
    int status;
    try {
      status = (int) Native.llama_decode.invokeExact(context, batch);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
    if (status == 1) {
      return false;
    }
    if (status != 0) {
      throw new IllegalStateException("llama_decode failed with status " + status);
    }
    return true;
  }

  @Override
  public void forget(int sequence, int from) {
    try {
      boolean removed =
          (boolean) Native.llama_memory_seq_rm.invokeExact(memory, sequence, from, -1);
      if (!removed) {
        throw new IllegalStateException(
            "llama.cpp could not drop sequence " + sequence + " from position " + from);
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public SavedCells save(int sequence) {
    HostPages pages = null;
    try {
      long size = (long) Native.llama_state_seq_get_size.invokeExact(context, sequence);
      pages = savedBlocks.take(Math.max(1, size));
      long written =
          (long)
              Native.llama_state_seq_get_data.invokeExact(context, pages.block(), size, sequence);
      if (written != size) {
        throw new IllegalStateException(
            "llama.cpp copied " + written + " of sequence " + sequence + "'s " + size + " bytes");
      }
      return new HostCells(pages, size);
    } catch (RuntimeException | Error e) {
      if (pages != null) {
        savedBlocks.give(pages);
      }
      throw e;
    } catch (Throwable e) {
      if (pages != null) {
        savedBlocks.give(pages);
      }
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean restore(SavedCells cells, int sequence) {
    HostCells saved = (HostCells) cells;
    try {
      long read =
          (long)
              Native.llama_state_seq_set_data.invokeExact(
                  context, saved.pages().block(), saved.length(), sequence);
      return read > 0;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Host memory holding cells copied out of the KV cache, and blocks kept for the next copies; read
   * from any thread.
   */
  public long savedCellsBytes() {
    return savedBlocks.mappedBytes();
  }

  /**
   * A sequence's cells in host memory, {@code length} bytes as {@code llama_state_seq_get_data}
   * wrote them at the start of a block.
   */
  private final class HostCells implements SavedCells {
    private final HostPages pages;
    private final long length;
    private boolean closed;

    HostCells(HostPages pages, long length) {
      this.pages = pages;
      this.length = length;
    }

    HostPages pages() {
      return pages;
    }

    long length() {
      return length;
    }

    /** The block's whole size: memory the copy holds. */
    @Override
    public long bytes() {
      return pages.size();
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        savedBlocks.give(pages);
      }
    }
  }

  @Override
  public TokenSampler sampler(SamplingOptions options) {
    return new ChainSampler(options);
  }

  @Override
  public float[] logits(int row) {
    try {
      MemorySegment logits = (MemorySegment) Native.llama_get_logits_ith.invokeExact(context, row);
      return logits.reinterpret(4L * model.vocabularySize()).toArray(JAVA_FLOAT);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The pooling this context applies (the model's own when created with {@link
   * Pooling#UNSPECIFIED}).
   */
  public Pooling pooling() {
    try {
      int code = (int) Native.llama_pooling_type.invokeExact(context);
      for (Pooling pooling : Pooling.values()) {
        if (pooling.code == code) {
          return pooling;
        }
      }
      return Pooling.NONE;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** A sequence's pooled embedding after a decode (an embeddings context). */
  public float[] sequenceEmbedding(int sequence) {
    try {
      MemorySegment embedding =
          (MemorySegment) Native.llama_get_embeddings_seq.invokeExact(context, sequence);
      if (embedding.equals(MemorySegment.NULL)) {
        throw new IllegalStateException(
            "llama.cpp has no pooled embedding for sequence " + sequence);
      }
      return embedding.reinterpret(4L * model.embeddingSize()).toArray(JAVA_FLOAT);
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean endsGeneration(int token) {
    return model.endsGeneration(token);
  }

  @Override
  public byte[] piece(int token) {
    return model.piece(token);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Native.llama_batch_free.invokeExact(batch);
      Native.llama_free.invokeExact(context);
      if (threadPool != null) {
        threadPool.close();
      }
      savedBlocks.close();
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    } finally {
      arena.close();
    }
  }

  /**
   * A llama.cpp sampler chain: bias, grammar, penalties, then greedy or
   * top-k/top-p/min-p/temperature sampling.
   */
  private final class ChainSampler implements TokenSampler {
    private final MemorySegment chain;

    ChainSampler(SamplingOptions options) {
      try (Arena scratch = Arena.ofConfined()) {
        MemorySegment params =
            (MemorySegment)
                Native.llama_sampler_chain_default_params.invokeExact((SegmentAllocator) scratch);
        params.set(JAVA_BOOLEAN, 0, true);
        chain = (MemorySegment) Native.llama_sampler_chain_init.invokeExact(params);
        int vocabulary = model.vocabularySize();
        Map<Integer, Float> bias = options.logitBias();
        if (!bias.isEmpty()) {
          MemorySegment entries = scratch.allocate(Layouts.LOGIT_BIAS, bias.size());
          int i = 0;
          for (Map.Entry<Integer, Float> entry : bias.entrySet()) {
            if (entry.getKey() < 0 || entry.getKey() >= vocabulary) {
              close();
              throw new InvalidInputException(
                  "logit_bias names token "
                      + entry.getKey()
                      + "; the vocabulary has "
                      + vocabulary);
            }
            entries.setAtIndex(JAVA_INT, 2L * i, entry.getKey());
            entries.setAtIndex(JAVA_FLOAT, 2L * i + 1, entry.getValue());
            i++;
          }
          add(
              (MemorySegment)
                  Native.llama_sampler_init_logit_bias.invokeExact(
                      vocabulary, bias.size(), entries));
        }
        if (options.grammar() != null) {
          MemorySegment grammar =
              (MemorySegment)
                  Native.llama_sampler_init_grammar.invokeExact(
                      model.vocab(),
                      scratch.allocateFrom(options.grammar()),
                      scratch.allocateFrom("root"));
          if (grammar.equals(MemorySegment.NULL)) {
            close();
            throw new InvalidInputException("the output grammar does not parse (see the log)");
          }
          add(grammar);
        }
        if (options.penalises()) {
          add(
              (MemorySegment)
                  Native.llama_sampler_init_penalties.invokeExact(
                      vocabulary,
                      SamplingOptions.PENALTY_WINDOW,
                      options.repetitionPenalty(),
                      options.frequencyPenalty(),
                      options.presencePenalty()));
        }
        if (options.isGreedy()) {
          add((MemorySegment) Native.llama_sampler_init_greedy.invokeExact());
          return;
        }
        if (options.topK() > 0) {
          add((MemorySegment) Native.llama_sampler_init_top_k.invokeExact(options.topK()));
        }
        if (options.topP() < 1) {
          add((MemorySegment) Native.llama_sampler_init_top_p.invokeExact(options.topP(), 1L));
        }
        if (options.minP() > 0) {
          add((MemorySegment) Native.llama_sampler_init_min_p.invokeExact(options.minP(), 1L));
        }
        add((MemorySegment) Native.llama_sampler_init_temp.invokeExact(options.temperature()));
        add((MemorySegment) Native.llama_sampler_init_dist.invokeExact((int) options.seed()));
      } catch (RuntimeException e) {
        throw e;
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }

    private void add(MemorySegment sampler) throws Throwable {
      Native.llama_sampler_chain_add.invokeExact(chain, sampler); // the chain owns it from here
    }

    @Override
    public int sample(int row) {
      try {
        return (int) Native.llama_sampler_sample.invokeExact(chain, context, row);
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void close() {
      try {
        Native.llama_sampler_free.invokeExact(chain);
      } catch (Throwable e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
