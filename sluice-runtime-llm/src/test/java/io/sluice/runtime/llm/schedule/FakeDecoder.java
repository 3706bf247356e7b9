package io.sluice.runtime.llm.schedule;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A language model in plain Java for the scheduler's tests. It keeps every sequence's KV cells and
 * refuses a batch whose positions do not continue them (so a scheduling mistake fails the test),
 * refuses batches the cache has no room for, and "predicts" the next token from the sequence's
 * whole history by a rule the test gives: the same history always gives the same token, alone or
 * batched, before or after a preemption.
 */
final class FakeDecoder implements Decoder {
  static final int EOS = 0;
  private final int slots;
  private final int batchTokens;
  private final int contextCells;
  private final Function<List<Integer>, Integer> model;
  private final List<List<Integer>> cells = new ArrayList<>();
  private final Map<Integer, Integer> predictions = new HashMap<>();
  final List<String> batches = new CopyOnWriteArrayList<>();
  final Map<Integer, byte[]> pieces = new HashMap<>();
  volatile CountDownLatch gate;

  /** Run at the start of every decode (a test's clock moving as a real decode takes time). */
  volatile Runnable onDecode = () -> {};

  int refusals;

  /** The cells of each sequence's own cache; 0: the sequences share the cache. */
  volatile int sequenceCells;

  /** The size a saved cell counts for; 0: this decoder cannot copy cells out ({@link #save}). */
  volatile int bytesPerSavedCell;

  /** Copies made and not closed yet. */
  final AtomicInteger openCopies = new AtomicInteger();

  /** How many copies were open as each {@link #save} began. */
  final List<Integer> copiesOpenAtEachSave = new CopyOnWriteArrayList<>();

  FakeDecoder(
      int slots, int batchTokens, int contextCells, Function<List<Integer>, Integer> model) {
    this.slots = slots;
    this.batchTokens = batchTokens;
    this.contextCells = contextCells;
    this.model = model;
    for (int i = 0; i < slots; i++) {
      cells.add(new ArrayList<>());
    }
  }

  @Override
  public int sequenceSlots() {
    return slots;
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
    return sequenceCells > 0 ? sequenceCells : contextCells;
  }

  @Override
  public boolean decode(Batch batch) {
    onDecode.run();
    CountDownLatch wait = gate;
    if (wait != null) {
      try {
        wait.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
    if (batch.size() == 0 || batch.size() > batchTokens) {
      throw new AssertionError("batch of " + batch.size() + " tokens");
    }
    int used = cells.stream().mapToInt(List::size).sum();
    if (used + batch.size() > contextCells) {
      refusals++;
      return false;
    }
    predictions.clear();
    for (int row = 0; row < batch.size(); row++) {
      List<Integer> sequence = cells.get(batch.sequence(row));
      if (batch.position(row) != sequence.size()) {
        throw new AssertionError(
            "sequence "
                + batch.sequence(row)
                + " has "
                + sequence.size()
                + " cells; the batch puts a token at "
                + batch.position(row)
                + ": "
                + batch);
      }
      sequence.add(batch.token(row));
      if (batch.output(row)) {
        predictions.put(row, model.apply(List.copyOf(sequence)));
      }
    }
    batches.add(batch.toString());
    return true;
  }

  @Override
  public void forget(int sequence, int from) {
    List<Integer> sequenceCells = cells.get(sequence);
    sequenceCells.subList(Math.min(from, sequenceCells.size()), sequenceCells.size()).clear();
  }

  @Override
  public SavedCells save(int sequence) {
    if (bytesPerSavedCell == 0) {
      return null;
    }
    copiesOpenAtEachSave.add(openCopies.get());
    List<Integer> copy = List.copyOf(cells.get(sequence));
    int bytes = bytesPerSavedCell;
    openCopies.incrementAndGet();
    return new Copy(copy, (long) bytes * copy.size(), openCopies);
  }

  @Override
  public boolean restore(SavedCells saved, int sequence) {
    List<Integer> copy = ((Copy) saved).cells();
    if (!cells.get(sequence).isEmpty()) {
      throw new AssertionError("restoring into sequence " + sequence + ", which holds cells");
    }
    int used = cells.stream().mapToInt(List::size).sum();
    if (used + copy.size() > contextCells) {
      return false;
    }
    cells.get(sequence).addAll(copy);
    return true;
  }

  private record Copy(List<Integer> cells, long bytes, AtomicInteger openCopies)
      implements SavedCells {
    @Override
    public void close() {
      openCopies.decrementAndGet();
    }
  }

  @Override
  public TokenSampler sampler(SamplingOptions options) {
    return new TokenSampler() {
      @Override
      public int sample(int row) {
        Integer prediction = predictions.get(row);
        if (prediction == null) {
          throw new AssertionError("row " + row + " has no logits");
        }
        return prediction;
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public float[] logits(int row) {
    float[] logits = new float[8];
    logits[predictions.get(row) % 8] = 2;
    return logits;
  }

  @Override
  public boolean endsGeneration(int token) {
    return token == EOS;
  }

  @Override
  public byte[] piece(int token) {
    byte[] piece = pieces.get(token);
    return piece != null ? piece : ("<" + token + ">").getBytes(StandardCharsets.UTF_8);
  }

  int cellsOf(int sequence) {
    return cells.get(sequence).size();
  }
}
