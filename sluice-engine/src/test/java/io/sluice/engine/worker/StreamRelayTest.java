package io.sluice.engine.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamRelayTest {
  private static WorkerCodec.Frame frame(byte type, int marker) {
    return new WorkerCodec.Frame(type, 7, new byte[] {(byte) marker});
  }

  @Test
  void piecesReachTheConsumerOnTheArrivingThreadInOrderAndTheRestWaits() throws Exception {
    List<String> seen = new ArrayList<>();
    StreamRelay relay =
        new StreamRelay(
            WorkerCodec.TEXT, piece -> seen.add(Thread.currentThread().getName() + ":" + piece[0]));
    Thread reader =
        new Thread(
            () -> {
              relay.arrive(frame(WorkerCodec.TEXT, 1));
              relay.arrive(frame(WorkerCodec.TEXT, 2));
              relay.arrive(frame(WorkerCodec.DONE, 3));
            },
            "reader");
    reader.start();
    reader.join();

    assertThat(seen).containsExactly("reader:1", "reader:2");
    WorkerCodec.Frame done = relay.next(0);
    assertThat(done.type()).isEqualTo(WorkerCodec.DONE);
    assertThat(done.payload()).containsExactly(3);
    assertThat(relay.next(0)).isNull();
  }

  @Test
  void aConsumerThatThrowsGetsNoMorePiecesAndTheWaitingThreadLearnsWhy() throws Exception {
    List<Integer> seen = new ArrayList<>();
    IllegalStateException gone = new IllegalStateException("client went away");
    StreamRelay relay =
        new StreamRelay(
            WorkerCodec.CHUNK,
            piece -> {
              seen.add((int) piece[0]);
              if (piece[0] == 2) {
                throw gone;
              }
            });
    relay.arrive(frame(WorkerCodec.CHUNK, 1));
    relay.arrive(frame(WorkerCodec.CHUNK, 2));
    relay.arrive(frame(WorkerCodec.CHUNK, 3));
    relay.arrive(frame(WorkerCodec.DONE, 4));

    assertThat(seen).containsExactly(1, 2);
    assertThatThrownBy(() -> relay.next(0)).isSameAs(gone);
  }
}
