package io.sluice.engine.worker;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One streaming request's frames as the worker's reader thread receives them: its pieces (text,
 * chunks) go straight to the request's consumer on the reader thread, everything else waits in a
 * queue for the thread that sent the request. A piece thus wakes no thread but the one its consumer
 * writes to (an event loop): one hand-off per generated token fewer, where a small model makes a
 * token every few milliseconds on the same cores as its compute threads. The consumers are the ones
 * an in-process model calls from its own decoding thread, so none may block. A consumer that throws
 * receives no more pieces, and the waiting thread learns of it as the next frame.
 */
final class StreamRelay {
  private static final WorkerCodec.Frame CONSUMER_FAILED =
      new WorkerCodec.Frame((byte) -1, 0, new byte[0]);

  private final byte pieceType;
  private final Consumer<byte[]> onPiece;
  private final BlockingQueue<WorkerCodec.Frame> rest = new LinkedBlockingQueue<>();
  private volatile RuntimeException consumerFailure;

  StreamRelay(byte pieceType, Consumer<byte[]> onPiece) {
    this.pieceType = pieceType;
    this.onPiece = onPiece;
  }

  /** A frame for this request, from the reader thread. */
  void arrive(WorkerCodec.Frame frame) {
    if (frame.type() != pieceType) {
      rest.add(frame);
      return;
    }
    if (consumerFailure != null) {
      return;
    }
    try {
      onPiece.accept(frame.payload());
    } catch (RuntimeException e) {
      consumerFailure = e;
      rest.add(CONSUMER_FAILED);
    }
  }

  /**
   * The next frame other than a piece, waiting at most {@code millis}; null when none came.
   *
   * @throws RuntimeException what the consumer threw, once it has
   */
  WorkerCodec.Frame next(long millis) throws InterruptedException {
    WorkerCodec.Frame frame = rest.poll(millis, TimeUnit.MILLISECONDS);
    if (frame == CONSUMER_FAILED) {
      throw consumerFailure;
    }
    return frame;
  }
}
