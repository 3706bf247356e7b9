package io.sluice.engine.batching;

import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Collects the requests of one replica into batches. Requests are compatible when they ask for the
 * same outputs and their inputs have the same names, datatypes and shapes apart from the leading
 * dimension; other requests wait in their own batch. A batch runs when it holds {@code
 * maxBatchSize} rows or when its first request has waited {@code batchWaitTimeout}. Inputs are
 * concatenated along dimension 0 (the tensor bytes are row-major, so rows simply follow each other;
 * BYTES elements too), and each output is split back by the rows each request brought.
 */
public final class Batcher {
  private final Supplier<LoadedModel> model;
  private final BatchingSpec spec;
  private final ScheduledExecutorService timer;
  private final Executor executor;
  private final IntConsumer batchSizes;
  private final Map<String, Batch> open = new HashMap<>();

  /**
   * @param model the replica's current model (a restarted worker replica has a new one)
   * @param batchSizes told the row count of every model call it makes
   */
  public Batcher(
      Supplier<LoadedModel> model,
      BatchingSpec spec,
      ScheduledExecutorService timer,
      Executor executor,
      IntConsumer batchSizes) {
    this.model = model;
    this.spec = spec;
    this.timer = timer;
    this.executor = executor;
    this.batchSizes = batchSizes;
  }

  private record Item(List<Tensor> inputs, int rows, CompletableFuture<List<Tensor>> result) {}

  private final class Batch {
    final String key;
    final List<String> outputNames;
    final List<Item> items = new ArrayList<>();
    int rows;
    boolean flushed;

    Batch(String key, List<String> outputNames) {
      this.key = key;
      this.outputNames = outputNames;
    }
  }

  /**
   * Runs the inputs as part of a batch. Inputs that cannot be batched (a scalar, inputs disagreeing
   * on their leading dimension, more rows than a batch holds) run alone, right away.
   */
  public CompletableFuture<List<Tensor>> submit(List<Tensor> inputs, List<String> outputNames) {
    int rows = rows(inputs);
    if (rows < 1 || rows > spec.maxBatchSize()) {
      return CompletableFuture.supplyAsync(() -> runAlone(inputs, outputNames, rows), executor);
    }
    CompletableFuture<List<Tensor>> result = new CompletableFuture<>();
    String key = key(inputs, outputNames);
    List<Batch> due = new ArrayList<>(2);
    Batch started = null;
    synchronized (open) {
      Batch batch = open.get(key);
      if (batch != null && batch.rows + rows > spec.maxBatchSize()) {
        due.add(close(batch));
        batch = null;
      }
      if (batch == null) {
        batch = new Batch(key, outputNames);
        open.put(key, batch);
        started = batch;
      }
      batch.items.add(new Item(inputs, rows, result));
      batch.rows += rows;
      if (batch.rows == spec.maxBatchSize()) {
        due.add(close(batch));
        started = null;
      }
    }
    for (Batch batch : due) {
      executor.execute(() -> run(batch));
    }
    if (started != null) {
      Batch waiting = started;
      timer.schedule(
          () -> flushIfOpen(waiting), spec.batchWaitTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }
    return result;
  }

  private void flushIfOpen(Batch batch) {
    synchronized (open) {
      if (batch.flushed) {
        return;
      }
      close(batch);
    }
    executor.execute(() -> run(batch));
  }

  private Batch close(Batch batch) {
    batch.flushed = true;
    open.remove(batch.key, batch);
    return batch;
  }

  private List<Tensor> runAlone(List<Tensor> inputs, List<String> outputNames, int rows) {
    batchSizes.accept(Math.max(rows, 1));
    return model.get().infer(inputs, outputNames);
  }

  private void run(Batch batch) {
    try {
      List<Tensor> outputs;
      if (batch.items.size() == 1) {
        outputs = model.get().infer(batch.items.get(0).inputs(), batch.outputNames);
      } else {
        outputs = model.get().infer(concatenate(batch), batch.outputNames);
      }
      batchSizes.accept(batch.rows);
      split(batch, outputs);
    } catch (RuntimeException | Error e) {
      for (Item item : batch.items) {
        item.result().completeExceptionally(e);
      }
    }
  }

  private static List<Tensor> concatenate(Batch batch) {
    List<Tensor> first = batch.items.get(0).inputs();
    List<Tensor> joined = new ArrayList<>(first.size());
    for (Tensor template : first) {
      List<Tensor> parts = new ArrayList<>(batch.items.size());
      int bytes = 0;
      for (Item item : batch.items) {
        Tensor part = named(item.inputs(), template.name());
        parts.add(part);
        bytes += part.byteSize();
      }
      ByteBuffer data = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
      for (Tensor part : parts) {
        data.put(part.data());
      }
      long[] shape = template.shape();
      shape[0] = batch.rows;
      joined.add(Tensor.of(template.name(), template.datatype(), shape, data.flip()));
    }
    return joined;
  }

  private static Tensor named(List<Tensor> tensors, String name) {
    for (Tensor tensor : tensors) {
      if (tensor.name().equals(name)) {
        return tensor;
      }
    }
    throw new IllegalStateException("batched request lacks input '" + name + "'");
  }

  private static void split(Batch batch, List<Tensor> outputs) {
    if (batch.items.size() == 1) {
      batch.items.get(0).result().complete(outputs);
      return;
    }
    List<List<Tensor>> perItem = new ArrayList<>();
    for (int i = 0; i < batch.items.size(); i++) {
      perItem.add(new ArrayList<>());
    }
    for (Tensor output : outputs) {
      long[] shape = output.shape();
      if (shape.length == 0 || shape[0] != batch.rows) {
        throw new InferenceFailedException(
            "output '"
                + output.name()
                + "' has shape "
                + Arrays.toString(shape)
                + ", which does not keep the batch of "
                + batch.rows
                + " rows in its first dimension");
      }
      long elementsPerRow = output.elementCount() / batch.rows;
      ByteBuffer data = output.data();
      for (int i = 0; i < batch.items.size(); i++) {
        int rows = batch.items.get(i).rows();
        long[] rowShape = shape.clone();
        rowShape[0] = rows;
        int length = sliceLength(output.datatype(), data, elementsPerRow * rows);
        ByteBuffer slice = data.slice(data.position(), length).order(ByteOrder.LITTLE_ENDIAN);
        data.position(data.position() + length);
        perItem.get(i).add(Tensor.of(output.name(), output.datatype(), rowShape, slice));
      }
    }
    for (int i = 0; i < batch.items.size(); i++) {
      batch.items.get(i).result().complete(perItem.get(i));
    }
  }

  /**
   * Bytes taken by the next {@code elements} elements of {@code data}, which is left where it was.
   */
  private static int sliceLength(DataType type, ByteBuffer data, long elements) {
    if (type.isFixedSize()) {
      return Math.toIntExact(elements * type.elementSize());
    }
    int position = data.position();
    for (long e = 0; e < elements; e++) {
      position += 4 + data.getInt(position);
    }
    return position - data.position();
  }

  /**
   * The batch size the inputs bring (their shared leading dimension), or -1 when they cannot batch.
   */
  private static int rows(List<Tensor> inputs) {
    long rows = -1;
    for (Tensor input : inputs) {
      long[] shape = input.shape();
      if (shape.length == 0 || (rows >= 0 && shape[0] != rows)) {
        return -1;
      }
      rows = shape[0];
    }
    return rows > Integer.MAX_VALUE ? -1 : (int) rows;
  }

  private static String key(List<Tensor> inputs, List<String> outputNames) {
    StringBuilder key = new StringBuilder(String.join(",", outputNames)).append('|');
    inputs.stream()
        .sorted(java.util.Comparator.comparing(Tensor::name))
        .forEach(
            input -> {
              long[] shape = input.shape();
              key.append(input.name())
                  .append(':')
                  .append(input.datatype())
                  .append(Arrays.toString(Arrays.copyOfRange(shape, 1, shape.length)))
                  .append(';');
            });
    return key.toString();
  }
}
