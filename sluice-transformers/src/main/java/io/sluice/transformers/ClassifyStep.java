package io.sluice.transformers;

import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.transform.StepSource;
import io.sluice.spi.transform.Transformer;
import io.sluice.spi.transform.TransformerFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores of shape {@code [N, classes]} → the top {@code k} classes of each row: {@code label}
 * (BYTES {@code [N, k]}) and {@code score} (FP32 {@code [N, k]}), best first, after a softmax
 * unless the model already gives probabilities.
 *
 * <p>Settings: {@code output} (the scores; default the model's first output), {@code labels} (a
 * text file, one label per line, relative to the model; default: class indexes), {@code topK}
 * (default 1), {@code softmax} ({@code true} by default).
 */
public final class ClassifyStep implements TransformerFactory {
  static final String LABEL = "label";
  static final String SCORE = "score";

  @Override
  public String name() {
    return "classify";
  }

  @Override
  public Transformer create(StepSource source, ModelMetadata wrapped) throws ModelLoadException {
    if (wrapped.outputs().isEmpty()) {
      throw new ModelLoadException("the classify step needs a model output");
    }
    TensorMetadata scores =
        Tensors.described(
            wrapped.outputs(),
            source.setting("output", wrapped.outputs().getFirst().name()),
            "output");
    long[] shape = scores.shape();
    if (shape.length != 2
        || (scores.datatype() != DataType.FP32 && scores.datatype() != DataType.FP64)) {
      throw new ModelLoadException(
          "the classify step reads FP32 or FP64 scores of shape [N, classes]; output '"
              + scores.name()
              + "' is "
              + scores.datatype()
              + " "
              + Arrays.toString(shape));
    }
    List<String> labels = labels(source.file("labels"));
    if (shape[1] > 0 && !labels.isEmpty() && labels.size() != shape[1]) {
      throw new ModelLoadException(
          "the labels file has "
              + labels.size()
              + " labels; the model has "
              + shape[1]
              + " classes");
    }
    int topK = source.intSetting("topK", 1, 1);
    boolean softmax = Boolean.parseBoolean(source.setting("softmax", "true"));
    return new Classes(scores.name(), labels, topK, softmax, wrapped);
  }

  private static List<String> labels(Path file) throws ModelLoadException {
    if (file == null) {
      return List.of();
    }
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .map(String::strip)
          .filter(line -> !line.isEmpty())
          .toList();
    } catch (IOException e) {
      throw new ModelLoadException(
          "cannot read the labels file " + file + ": " + e.getMessage(), e);
    }
  }

  private static final class Classes implements Transformer {
    private final String scores;
    private final List<String> labels;
    private final int topK;
    private final boolean softmax;
    private final ModelMetadata metadata;

    Classes(String scores, List<String> labels, int topK, boolean softmax, ModelMetadata wrapped) {
      this.scores = scores;
      this.labels = labels;
      this.topK = topK;
      this.softmax = softmax;
      this.metadata =
          new ModelMetadata(
              wrapped.name(),
              wrapped.versions(),
              wrapped.platform(),
              wrapped.inputs(),
              Tensors.replaceDescribed(
                  wrapped.outputs(),
                  List.of(scores),
                  List.of(
                      new TensorMetadata(LABEL, DataType.BYTES, new long[] {-1, -1}),
                      new TensorMetadata(SCORE, DataType.FP32, new long[] {-1, -1}))));
    }

    @Override
    public ModelMetadata metadata() {
      return metadata;
    }

    @Override
    public List<Tensor> preprocess(List<Tensor> inputs) {
      return inputs;
    }

    @Override
    public List<Tensor> postprocess(List<Tensor> inputs, List<Tensor> outputs) {
      Tensor tensor =
          outputs.stream()
              .filter(output -> output.name().equals(scores))
              .findFirst()
              .orElseThrow(
                  () -> new InferenceFailedException("the model gave no output '" + scores + "'"));
      long[] shape = tensor.shape();
      int rows = (int) shape[0];
      int classes = (int) shape[1];
      int k = Math.min(topK, classes);
      ByteBuffer data = tensor.data();
      List<byte[]> names = new ArrayList<>(rows * k);
      ByteBuffer best = ByteBuffer.allocate(rows * k * 4).order(ByteOrder.LITTLE_ENDIAN);
      double[] row = new double[classes];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < classes; c++) {
          row[c] = tensor.datatype() == DataType.FP32 ? data.getFloat() : data.getDouble();
        }
        if (softmax) {
          softmax(row);
        }
        Integer[] order = new Integer[classes];
        for (int c = 0; c < classes; c++) {
          order[c] = c;
        }
        Arrays.sort(order, (a, b) -> Double.compare(row[b], row[a]));
        for (int i = 0; i < k; i++) {
          int c = order[i];
          names.add(
              (c < labels.size() ? labels.get(c) : Integer.toString(c))
                  .getBytes(StandardCharsets.UTF_8));
          best.putFloat((float) row[c]);
        }
      }
      return Tensors.replace(
          outputs,
          List.of(scores),
          List.of(
              Tensor.ofBytes(LABEL, new long[] {rows, k}, names),
              Tensor.of(SCORE, DataType.FP32, new long[] {rows, k}, best.flip())));
    }

    private static void softmax(double[] row) {
      double max = Double.NEGATIVE_INFINITY;
      for (double value : row) {
        max = Math.max(max, value);
      }
      double sum = 0;
      for (int i = 0; i < row.length; i++) {
        row[i] = Math.exp(row[i] - max);
        sum += row[i];
      }
      for (int i = 0; i < row.length; i++) {
        row[i] /= sum;
      }
    }
  }
}
