package io.sluice.engine.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.testkit.ManualScheduler;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatcherTest {
  /** The batch windows run on a hand-driven clock: no test depends on how fast the machine is. */
  private final ManualScheduler timer = new ManualScheduler();

  private final List<long[]> calls = new CopyOnWriteArrayList<>();
  private final AtomicInteger rowsRun = new AtomicInteger();

  /** Echoes its inputs and remembers the shape of each call's first input. */
  private final LoadedModel echo =
      new LoadedModel() {
        @Override
        public ModelMetadata metadata() {
          return new ModelMetadata("echo", List.of("1"), "test", List.of(), List.of());
        }

        @Override
        public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
          calls.add(inputs.get(0).shape());
          List<Tensor> outputs = new ArrayList<>();
          for (String name : outputNames) {
            outputs.add(
                inputs.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow());
          }
          return outputs;
        }

        @Override
        public void close() {}
      };

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  private Batcher batcher(int maxBatchSize, Duration wait) {
    return new Batcher(
        () -> echo,
        new BatchingSpec(maxBatchSize, wait),
        timer,
        Executors.newFixedThreadPool(2),
        rowsRun::addAndGet);
  }

  private static Tensor rows(String name, int width, float... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : values) {
      data.putFloat(value);
    }
    return Tensor.of(name, DataType.FP32, new long[] {values.length / width, width}, data.flip());
  }

  private static float[] floats(Tensor tensor) {
    ByteBuffer data = tensor.data();
    float[] values = new float[(int) tensor.elementCount()];
    for (int i = 0; i < values.length; i++) {
      values[i] = data.getFloat();
    }
    return values;
  }

  @Test
  void aFullBatchRunsAsOneCallAndEachRequestGetsItsOwnRows() throws Exception {
    Batcher batcher = batcher(8, Duration.ofSeconds(10));
    List<CompletableFuture<List<Tensor>>> results = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      results.add(batcher.submit(List.of(rows("x", 2, i, -i)), List.of("x")));
    }
    for (int i = 0; i < 8; i++) {
      Tensor out = results.get(i).get(5, TimeUnit.SECONDS).get(0);
      assertThat(out.shape()).containsExactly(1, 2);
      assertThat(floats(out)).containsExactly(i, -i);
    }
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0)).containsExactly(8, 2);
    assertThat(rowsRun.get()).isEqualTo(8);
  }

  @Test
  void requestsOfOtherShapesAreNotMixed() throws Exception {
    Batcher batcher = batcher(4, Duration.ofMillis(30));
    CompletableFuture<List<Tensor>> a = batcher.submit(List.of(rows("x", 2, 1, 2)), List.of("x"));
    CompletableFuture<List<Tensor>> b =
        batcher.submit(List.of(rows("x", 3, 1, 2, 3)), List.of("x"));
    CompletableFuture<List<Tensor>> c =
        batcher.submit(List.of(rows("x", 2, 3, 4, 5, 6)), List.of("x"));
    timer.advance(30, TimeUnit.MILLISECONDS);
    assertThat(floats(a.get(5, TimeUnit.SECONDS).get(0))).containsExactly(1, 2);
    assertThat(floats(b.get(5, TimeUnit.SECONDS).get(0))).containsExactly(1, 2, 3);
    assertThat(floats(c.get(5, TimeUnit.SECONDS).get(0))).containsExactly(3, 4, 5, 6);
    assertThat(calls)
        .extracting(shape -> shape[0] + "x" + shape[1])
        .containsExactlyInAnyOrder("3x2", "1x3");
  }

  @Test
  void aPartialBatchRunsWhenItsWaitIsOverAndBytesRowsSplitCorrectly() throws Exception {
    Batcher batcher = batcher(8, Duration.ofMillis(20));
    List<CompletableFuture<List<Tensor>>> results = new ArrayList<>();
    for (String word : List.of("a", "bb", "ccc")) {
      results.add(
          batcher.submit(
              List.of(
                  Tensor.ofBytes(
                      "s", new long[] {1, 1}, List.of(word.getBytes(StandardCharsets.UTF_8)))),
              List.of("s")));
    }
    timer.advance(19_999, TimeUnit.MICROSECONDS);
    assertThat(calls).as("nothing runs before the batch's wait is over").isEmpty();
    assertThat(results).noneMatch(CompletableFuture::isDone);
    timer.advance(1, TimeUnit.MICROSECONDS);
    assertThat(
            new String(
                results.get(1).get(5, TimeUnit.SECONDS).get(0).bytesElements().get(0),
                StandardCharsets.UTF_8))
        .isEqualTo("bb");
    assertThat(
            new String(
                results.get(2).get(5, TimeUnit.SECONDS).get(0).bytesElements().get(0),
                StandardCharsets.UTF_8))
        .isEqualTo("ccc");
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0)).containsExactly(3, 1);
  }

  @Test
  void unbatchableInputsRunAlone() throws Exception {
    Batcher batcher = batcher(2, Duration.ofSeconds(10));
    List<Tensor> tooBig = List.of(rows("x", 1, 1, 2, 3));
    assertThat(floats(batcher.submit(tooBig, List.of("x")).get(5, TimeUnit.SECONDS).get(0)))
        .containsExactly(1, 2, 3);
    assertThat(calls).hasSize(1);
  }
}
