package io.sluice.engine.explain;

import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.engine.client.Explanation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Model-agnostic explanations of one prediction, computed by calling the model on perturbed copies
 * of the instance: a feature is "removed" by setting it to the baseline. The perturbed inputs go in
 * batches of {@code batchSize} rows per model call, and one explanation makes at most {@code
 * maxModelCalls} calls, so the model must take a batch dimension (its first). Calls go through the
 * engine like any request, so replicas, queues and batching apply.
 *
 * <p>KernelSHAP (Lundberg and Lee, 2017): attributions are the weighted least-squares fit of the
 * model's output over coalitions of features, under the constraint that they add up to prediction
 * minus baseline prediction; with every coalition evaluated (when 2^d - 2 fits the budget) they are
 * the exact Shapley values of the baseline game, else an estimate from coalitions sampled by the
 * Shapley kernel. Occlusion: each group of {@code window} elements is set to the baseline, and each
 * element of it gets the drop in the output.
 */
public final class Explainer {
  private Explainer() {}

  public static CompletableFuture<Explanation> explain(
      InferRequest request,
      ExplainSpec spec,
      Function<InferRequest, CompletableFuture<InferResponse>> model) {
    Tensor input = pick(request.inputs(), spec.input());
    if (input.shape().length < 2 || input.shape()[0] != 1) {
      throw new InvalidInputException(
          "explain one instance at a time: input '" + input.name() + "' must have shape [1, ...]");
    }
    if (input.datatype() != DataType.FP32) {
      throw new InvalidInputException(
          "the explainer perturbs FP32 inputs; '" + input.name() + "' is " + input.datatype());
    }
    float[] instance = new float[(int) (input.data().remaining() / 4)];
    input.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(instance);
    List<float[]> rows = new ArrayList<>();
    rows.add(instance);
    float[] baseline = new float[instance.length];
    Arrays.fill(baseline, (float) spec.baseline());
    rows.add(baseline);
    int budget = spec.maxModelCalls() * spec.batchSize() - rows.size();
    Plan plan =
        spec.method().equals("occlusion")
            ? Plan.occlusion(instance, spec, budget)
            : Plan.kernelShap(instance, spec, budget);
    rows.addAll(plan.rows());
    int calls = (rows.size() + spec.batchSize() - 1) / spec.batchSize();
    return evaluate(request, input, rows, spec, model)
        .thenApply(
            values ->
                new Explanation(
                    spec.method(),
                    input.name(),
                    spec.output(),
                    spec.target(),
                    input.shape(),
                    plan.attributions(values),
                    values[0],
                    values[1],
                    calls));
  }

  private static Tensor pick(List<Tensor> tensors, String name) {
    if (tensors.isEmpty()) {
      throw new InvalidInputException("the request has no inputs to explain");
    }
    if (name == null) {
      return tensors.getFirst();
    }
    return tensors.stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow(
            () -> new InvalidInputException("the request has no input '" + name + "' to explain"));
  }

  /**
   * The explained output element for every row, one model call per batch, the calls one after
   * another.
   */
  private static CompletableFuture<double[]> evaluate(
      InferRequest request,
      Tensor input,
      List<float[]> rows,
      ExplainSpec spec,
      Function<InferRequest, CompletableFuture<InferResponse>> model) {
    double[] values = new double[rows.size()];
    CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    for (int from = 0; from < rows.size(); from += spec.batchSize()) {
      int start = from;
      int end = Math.min(rows.size(), from + spec.batchSize());
      chain =
          chain.thenCompose(
              done ->
                  model
                      .apply(batchRequest(request, input, rows.subList(start, end), spec.output()))
                      .thenAccept(response -> read(response, spec, start, end - start, values)));
    }
    return chain.thenApply(done -> values);
  }

  private static InferRequest batchRequest(
      InferRequest request, Tensor input, List<float[]> rows, String output) {
    long[] shape = input.shape().clone();
    shape[0] = rows.size();
    List<Tensor> inputs = new ArrayList<>();
    for (Tensor tensor : request.inputs()) {
      if (tensor == input) {
        ByteBuffer data =
            ByteBuffer.allocate(rows.size() * rows.getFirst().length * 4)
                .order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) {
          for (float value : row) {
            data.putFloat(value);
          }
        }
        inputs.add(Tensor.of(tensor.name(), DataType.FP32, shape, data.flip()));
      } else {
        inputs.add(repeat(tensor, rows.size()));
      }
    }
    return new InferRequest(
        request.modelName(),
        request.modelVersion(),
        request.id(),
        request.parameters(),
        inputs,
        output == null ? null : List.of(output),
        request.revision());
  }

  /** Another input of the instance, the same for every perturbed row. */
  private static Tensor repeat(Tensor tensor, int times) {
    if (tensor.shape().length == 0 || tensor.shape()[0] != 1) {
      throw new InvalidInputException(
          "every input must hold one instance (shape [1, ...]); '" + tensor.name() + "' does not");
    }
    long[] shape = tensor.shape().clone();
    shape[0] = times;
    if (tensor.datatype() == DataType.BYTES) {
      return Tensor.ofBytes(
          tensor.name(),
          shape,
          java.util.Collections.nCopies(times, tensor.bytesElements().getFirst()));
    }
    ByteBuffer one = tensor.data();
    ByteBuffer data = ByteBuffer.allocate(one.remaining() * times).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < times; i++) {
      data.put(one.duplicate());
    }
    return Tensor.of(tensor.name(), tensor.datatype(), shape, data.flip());
  }

  private static void read(
      InferResponse response, ExplainSpec spec, int start, int count, double[] values) {
    Tensor output =
        spec.output() == null
            ? response.outputs().getFirst()
            : response.outputs().stream()
                .filter(t -> t.name().equals(spec.output()))
                .findFirst()
                .orElseThrow();
    if (output.datatype() != DataType.FP32 && output.datatype() != DataType.FP64) {
      throw new InvalidInputException(
          "the explainer reads FP32 or FP64 outputs; '"
              + output.name()
              + "' is "
              + output.datatype());
    }
    int width = output.datatype() == DataType.FP32 ? 4 : 8;
    ByteBuffer data = output.data().order(ByteOrder.LITTLE_ENDIAN);
    int perRow = data.remaining() / width / count;
    if (spec.target() >= perRow) {
      throw new InvalidInputException(
          "target "
              + spec.target()
              + " is outside output '"
              + output.name()
              + "' ("
              + perRow
              + " elements per instance)");
    }
    for (int row = 0; row < count; row++) {
      int at = data.position() + (row * perRow + spec.target()) * width;
      values[start + row] = width == 4 ? data.getFloat(at) : data.getDouble(at);
    }
  }

  /** The perturbed rows a method needs, and how it turns their outputs into attributions. */
  private record Plan(List<float[]> rows, Function<double[], double[]> solver) {
    double[] attributions(double[] values) {
      return solver.apply(values);
    }

    static Plan occlusion(float[] instance, ExplainSpec spec, int budget) {
      int groups = (instance.length + spec.window() - 1) / spec.window();
      if (groups > budget) {
        throw new InvalidInputException(
            "occlusion of "
                + instance.length
                + " elements in windows of "
                + spec.window()
                + " needs "
                + groups
                + " perturbed inputs; the bound allows "
                + budget
                + " (raise window, batch_size or maxModelCalls)");
      }
      List<float[]> rows = new ArrayList<>();
      for (int g = 0; g < groups; g++) {
        float[] row = instance.clone();
        Arrays.fill(
            row,
            g * spec.window(),
            Math.min(instance.length, (g + 1) * spec.window()),
            (float) spec.baseline());
        rows.add(row);
      }
      return new Plan(
          rows,
          values -> {
            double[] attributions = new double[instance.length];
            for (int i = 0; i < instance.length; i++) {
              attributions[i] = values[0] - values[2 + i / spec.window()];
            }
            return attributions;
          });
    }

    static Plan kernelShap(float[] instance, ExplainSpec spec, int budget) {
      int d = instance.length;
      if (d == 1) {
        return new Plan(List.of(), values -> new double[] {values[0] - values[1]});
      }
      int limit = Math.min(spec.samples(), budget);
      List<boolean[]> coalitions = new ArrayList<>();
      List<Double> weights = new ArrayList<>();
      if (d < 31 && (1L << d) - 2 <= limit) {
        for (long mask = 1; mask < (1L << d) - 1; mask++) {
          boolean[] z = new boolean[d];
          int size = 0;
          for (int i = 0; i < d; i++) {
            z[i] = (mask >> i & 1) == 1;
            size += z[i] ? 1 : 0;
          }
          coalitions.add(z);
          weights.add((d - 1) / (binomial(d, size) * size * (d - size)));
        }
      } else {
        if (limit < 2) {
          throw new InvalidInputException(
              "KernelSHAP needs at least 2 coalitions; the bound allows " + limit);
        }
        double[] sizeWeight = new double[d];
        double total = 0;
        for (int s = 1; s < d; s++) {
          sizeWeight[s] = (d - 1.0) / (s * (d - s));
          total += sizeWeight[s];
        }
        Random random = new Random(42);
        for (int n = 0; n < limit; n++) {
          double pick = random.nextDouble() * total;
          int size = 1;
          while (size < d - 1 && pick > sizeWeight[size]) {
            pick -= sizeWeight[size++];
          }
          boolean[] z = new boolean[d];
          for (int chosen = 0; chosen < size; ) {
            int i = random.nextInt(d);
            if (!z[i]) {
              z[i] = true;
              chosen++;
            }
          }
          coalitions.add(z);
          weights.add(1.0);
        }
      }
      List<float[]> rows = new ArrayList<>();
      for (boolean[] z : coalitions) {
        float[] row = new float[d];
        for (int i = 0; i < d; i++) {
          row[i] = z[i] ? instance[i] : (float) spec.baseline();
        }
        rows.add(row);
      }
      return new Plan(rows, values -> solve(coalitions, weights, values, d));
    }

    /**
     * The constrained weighted least squares: sum(phi) = f(x) - f(baseline), the last feature
     * eliminated.
     */
    private static double[] solve(
        List<boolean[]> coalitions, List<Double> weights, double[] values, int d) {
      double delta = values[0] - values[1];
      int m = d - 1;
      double[][] a = new double[m][m + 1];
      for (int k = 0; k < coalitions.size(); k++) {
        boolean[] z = coalitions.get(k);
        double last = z[d - 1] ? 1 : 0;
        double y = values[2 + k] - values[1] - last * delta;
        double w = weights.get(k);
        for (int i = 0; i < m; i++) {
          double ai = (z[i] ? 1 : 0) - last;
          for (int j = 0; j < m; j++) {
            a[i][j] += w * ai * ((z[j] ? 1 : 0) - last);
          }
          a[i][m] += w * ai * y;
        }
      }
      double[] head = gauss(a, m);
      double[] phi = new double[d];
      double sum = 0;
      for (int i = 0; i < m; i++) {
        phi[i] = head[i];
        sum += head[i];
      }
      phi[d - 1] = delta - sum;
      return phi;
    }

    /** Gaussian elimination with partial pivoting on an augmented m x (m+1) matrix. */
    private static double[] gauss(double[][] a, int m) {
      for (int col = 0; col < m; col++) {
        int pivot = col;
        for (int row = col + 1; row < m; row++) {
          if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) {
            pivot = row;
          }
        }
        double[] swap = a[col];
        a[col] = a[pivot];
        a[pivot] = swap;
        if (Math.abs(a[col][col]) < 1e-12) {
          a[col][col] = 1e-12; // a feature no coalition separated: its share stays near zero
        }
        for (int row = 0; row < m; row++) {
          if (row != col) {
            double factor = a[row][col] / a[col][col];
            for (int k = col; k <= m; k++) {
              a[row][k] -= factor * a[col][k];
            }
          }
        }
      }
      double[] x = new double[m];
      for (int i = 0; i < m; i++) {
        x[i] = a[i][m] / a[i][i];
      }
      return x;
    }

    private static double binomial(int n, int k) {
      double result = 1;
      for (int i = 1; i <= k; i++) {
        result = result * (n - k + i) / i;
      }
      return result;
    }
  }
}
