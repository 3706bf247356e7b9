package io.sluice.engine.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.engine.client.Explanation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Explainers against models whose true attributions are known: for a linear model y = w·x + b,
 * every feature's attribution is w_i (x_i - baseline_i), for KernelSHAP and for occlusion alike.
 */
class ExplainerTest {
  /**
   * A linear model over [batch, d] FP32 inputs, output [batch, 2]: (w·x + b, -(w·x + b)); counts
   * calls and rows.
   */
  static final class Linear implements Function<InferRequest, CompletableFuture<InferResponse>> {
    final float[] weights;
    final float bias;
    final List<Integer> batches = new ArrayList<>();

    Linear(float[] weights, float bias) {
      this.weights = weights;
      this.bias = bias;
    }

    @Override
    public CompletableFuture<InferResponse> apply(InferRequest request) {
      Tensor x = request.inputs().getFirst();
      int rows = (int) x.shape()[0];
      batches.add(rows);
      FloatBuffer values = x.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      ByteBuffer out = ByteBuffer.allocate(rows * 8).order(ByteOrder.LITTLE_ENDIAN);
      for (int r = 0; r < rows; r++) {
        float y = bias;
        for (int i = 0; i < weights.length; i++) {
          y += weights[i] * values.get(r * weights.length + i);
        }
        out.putFloat(y).putFloat(-y);
      }
      return CompletableFuture.completedFuture(
          new InferResponse(
              "linear",
              "1",
              null,
              List.of(Tensor.of("y", DataType.FP32, new long[] {rows, 2}, out.flip()))));
    }
  }

  private static InferRequest instance(float... x) {
    ByteBuffer data = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : x) {
      data.putFloat(v);
    }
    return new InferRequest(
        "linear",
        null,
        null,
        Map.of(),
        List.of(Tensor.of("x", DataType.FP32, new long[] {1, x.length}, data.flip())),
        null);
  }

  private static float[] range(int n, float scale) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (i % 7 - 3) * scale + 0.25f * i;
    }
    return values;
  }

  @Test
  void kernelShapOnEveryCoalitionGivesWeightTimesDifferenceFromBaseline() throws Exception {
    float[] w = {0.5f, -2f, 3f, 0f, 1.25f};
    float[] x = {1f, 2f, -1f, 7f, 4f};
    Linear model = new Linear(w, 0.3f);
    Explanation e =
        Explainer.explain(
                instance(x),
                new ExplainSpec("kernel_shap", null, null, 0, 1.0, 256, 1, 8, 64),
                model)
            .get();
    for (int i = 0; i < w.length; i++) {
      assertThat(e.attributions()[i]).isCloseTo(w[i] * (x[i] - 1.0), Offset.offset(1e-4));
    }
    assertThat(e.prediction() - e.baselinePrediction())
        .isCloseTo(java.util.Arrays.stream(e.attributions()).sum(), Offset.offset(1e-4));
    assertThat(e.modelCalls())
        .isEqualTo(model.batches.size())
        .isEqualTo(4); // 30 coalitions + 2 rows, 8 a call
    assertThat(model.batches).allSatisfy(rows -> assertThat(rows).isLessThanOrEqualTo(8));
  }

  @Test
  void sampledKernelShapStaysExactForAnAdditiveModelAndWithinTheCallBound() throws Exception {
    float[] w = range(40, 0.5f);
    float[] x = range(40, -1.5f);
    Linear model = new Linear(w, -1f);
    Explanation e =
        Explainer.explain(
                instance(x),
                new ExplainSpec("kernel_shap", null, "y", 1, 0.0, 10_000, 1, 50, 6),
                model)
            .get();
    assertThat(model.batches).hasSize(6); // 300 rows at most: 298 coalitions + instance + baseline
    for (int i = 0; i < w.length; i++) {
      assertThat(e.attributions()[i])
          .as("feature " + i)
          .isCloseTo(-w[i] * x[i], Offset.offset(1e-2)); // target 1 is -(w·x+b)
    }
  }

  @Test
  void occlusionGivesTheDropOfEachWindow() throws Exception {
    float[] w = {1f, 2f, 3f, 4f};
    float[] x = {1f, 1f, 1f, 1f};
    Explanation single =
        Explainer.explain(
                instance(x),
                new ExplainSpec("occlusion", null, null, 0, 0, 1, 1, 64, 4),
                new Linear(w, 0))
            .get();
    assertThat(single.attributions())
        .containsExactly(new double[] {1, 2, 3, 4}, Offset.offset(1e-6));
    Explanation windows =
        Explainer.explain(
                instance(x),
                new ExplainSpec("occlusion", null, null, 0, 0, 1, 2, 64, 4),
                new Linear(w, 0))
            .get();
    assertThat(windows.attributions())
        .containsExactly(new double[] {3, 3, 7, 7}, Offset.offset(1e-6));
  }

  @Test
  void workBeyondTheBoundAndBadRequestsAreRefused() {
    float[] x = range(100, 1);
    assertThatThrownBy(
            () ->
                Explainer.explain(
                    instance(x),
                    new ExplainSpec("occlusion", null, null, 0, 0, 1, 1, 10, 5),
                    new Linear(range(100, 1), 0)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("raise window");
    assertThatThrownBy(() -> new ExplainSpec("lime", null, null, 0, 0, 1, 1, 1, 1))
        .isInstanceOf(InvalidInputException.class);
    InferRequest two =
        new InferRequest(
            "linear",
            null,
            null,
            Map.of(),
            List.of(Tensor.of("x", DataType.FP32, new long[] {2, 1}, ByteBuffer.allocate(8))),
            null);
    assertThatThrownBy(
            () ->
                Explainer.explain(
                    two,
                    new ExplainSpec("occlusion", null, null, 0, 0, 1, 1, 1, 4),
                    new Linear(new float[] {1}, 0)))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("one instance");
    assertThatThrownBy(
            () ->
                Explainer.explain(
                        instance(1, 2),
                        new ExplainSpec("occlusion", null, null, 5, 0, 1, 1, 8, 4),
                        new Linear(new float[] {1, 1}, 0))
                    .join())
        .hasMessageContaining("target 5");
  }
}
