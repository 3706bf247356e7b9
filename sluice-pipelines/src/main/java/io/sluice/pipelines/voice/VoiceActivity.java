package io.sluice.pipelines.voice;

import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.Tensor;
import io.sluice.engine.client.EngineClient;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Speech probability of one audio stream, frame by frame, from Silero VAD (v5) served by a
 * deployment of the engine: each 32 ms frame of 16 kHz audio goes with the 64 samples before it (as
 * Silero's own wrapper feeds it) and the model's recurrent state, which comes back with the
 * probability. Frames must be given one at a time, each once the previous one's answer is in.
 */
public final class VoiceActivity {
  /** The sample rate Silero is fed. */
  public static final int RATE = 16_000;

  /** Samples per frame at {@link #RATE}: 32 ms. */
  public static final int FRAME = 512;

  /** Milliseconds per frame. */
  public static final int FRAME_MS = FRAME * 1000 / RATE;

  private static final int CONTEXT = 64;
  private static final long[] STATE_SHAPE = {2, 1, 128};

  private final EngineClient engine;
  private final String deployment;
  private final float[] context = new float[CONTEXT];
  private ByteBuffer state = ByteBuffer.allocate(2 * 128 * Float.BYTES);

  public VoiceActivity(EngineClient engine, String deployment) {
    this.engine = engine;
    this.deployment = deployment;
  }

  /** The probability that {@code frame} ({@link #FRAME} samples in [-1, 1]) holds speech. */
  public CompletableFuture<Float> next(float[] frame) {
    if (frame.length != FRAME) {
      throw new IllegalArgumentException("a frame has " + FRAME + " samples, got " + frame.length);
    }
    ByteBuffer input =
        ByteBuffer.allocate((CONTEXT + FRAME) * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer samples = input.asFloatBuffer();
    samples.put(context).put(frame);
    System.arraycopy(frame, FRAME - CONTEXT, context, 0, CONTEXT);
    ByteBuffer rate = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    rate.putLong(0, RATE);
    InferRequest request =
        new InferRequest(
            deployment,
            null,
            null,
            Map.of(),
            List.of(
                Tensor.of("input", DataType.FP32, new long[] {1, CONTEXT + FRAME}, input),
                Tensor.of("state", DataType.FP32, STATE_SHAPE, state.duplicate()),
                Tensor.of("sr", DataType.INT64, new long[] {}, rate)),
            List.of("output", "stateN"));
    return engine
        .infer(request)
        .thenApply(
            response -> {
              float probability = 0;
              for (Tensor output : response.outputs()) {
                if (output.name().equals("output")) {
                  probability = output.data().getFloat(0);
                } else if (output.name().equals("stateN")) {
                  ByteBuffer next = ByteBuffer.allocate(output.byteSize());
                  next.put(output.data()).flip();
                  state = next;
                }
              }
              return probability;
            });
  }
}
