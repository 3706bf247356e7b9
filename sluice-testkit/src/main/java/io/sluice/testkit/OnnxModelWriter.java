package io.sluice.testkit;

import com.google.protobuf.ByteString;
import io.sluice.testkit.onnx.GraphProto;
import io.sluice.testkit.onnx.ModelProto;
import io.sluice.testkit.onnx.NodeProto;
import io.sluice.testkit.onnx.OperatorSetIdProto;
import io.sluice.testkit.onnx.TensorProto;
import io.sluice.testkit.onnx.TensorShapeProto;
import io.sluice.testkit.onnx.TypeProto;
import io.sluice.testkit.onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a two-layer perceptron as an ONNX model with a dynamic batch dimension and seeded random
 * weights: {@code y = relu(x · W1) · W2}, x and y FP32 {@code [batch, width]}. Real architecture,
 * fake weights: for benchmarks that need a batchable model (the ONNX test data has none).
 *
 * <p>{@code java -cp ... io.sluice.testkit.OnnxModelWriter OUT.onnx [WIDTH]}
 */
public final class OnnxModelWriter {
  private static final int FLOAT = 1;

  private OnnxModelWriter() {}

  public static void main(String[] args) throws IOException {
    int width = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    writeMlp(Path.of(args[0]), width);
  }

  public static void writeMlp(Path file, int width) throws IOException {
    Random random = new Random(42);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("mlp")
            .addInitializer(weights("w1", width, random))
            .addInitializer(weights("w2", width, random))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("MatMul")
                    .addInput("x")
                    .addInput("w1")
                    .addOutput("h1"))
            .addNode(NodeProto.newBuilder().setOpType("Relu").addInput("h1").addOutput("h2"))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("MatMul")
                    .addInput("h2")
                    .addInput("w2")
                    .addOutput("y"))
            .addInput(batchOf("x", width))
            .addOutput(batchOf("y", width))
            .build();
    save(file, graph);
  }

  /**
   * A linear model {@code y = x · w + b}, x FP32 {@code [batch, d]}, y FP32 {@code [batch, 1]}: its
   * true feature attributions are known (w_i times x_i's difference from the baseline), for
   * explainer tests.
   */
  public static void writeLinear(Path file, float[] w, float b) throws IOException {
    ByteBuffer weights = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : w) {
      weights.putFloat(value);
    }
    ByteBuffer bias = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(b);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("linear")
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("w")
                    .setDataType(FLOAT)
                    .addDims(w.length)
                    .addDims(1)
                    .setRawData(ByteString.copyFrom(weights.flip())))
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("b")
                    .setDataType(FLOAT)
                    .addDims(1)
                    .setRawData(ByteString.copyFrom(bias.flip())))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("MatMul")
                    .addInput("x")
                    .addInput("w")
                    .addOutput("xw"))
            .addNode(
                NodeProto.newBuilder().setOpType("Add").addInput("xw").addInput("b").addOutput("y"))
            .addInput(batchOf("x", w.length))
            .addOutput(batchOf("y", 1))
            .build();
    save(file, graph);
  }

  /**
   * An image classifier whose answer is known: {@code logits = 10 · mean(pixels) per channel},
   * pixels FP32 {@code [batch, 3, size, size]}, logits FP32 {@code [batch, 3]}. A red image is
   * class 0, green 1, blue 2.
   */
  public static void writeColourClassifier(Path file, int size) throws IOException {
    ByteBuffer ten = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(10f);
    TensorShapeProto.Builder shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(3));
    TensorShapeProto.Builder imageShape =
        shape
            .clone()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(size))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(size));
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("colours")
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("ten")
                    .setDataType(FLOAT)
                    .addDims(1)
                    .setRawData(ByteString.copyFrom(ten.flip())))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("GlobalAveragePool")
                    .addInput("pixels")
                    .addOutput("pooled"))
            .addNode(
                NodeProto.newBuilder().setOpType("Flatten").addInput("pooled").addOutput("means"))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("Mul")
                    .addInput("means")
                    .addInput("ten")
                    .addOutput("logits"))
            .addInput(
                ValueInfoProto.newBuilder()
                    .setName("pixels")
                    .setType(
                        TypeProto.newBuilder()
                            .setTensorType(
                                TypeProto.Tensor.newBuilder()
                                    .setElemType(FLOAT)
                                    .setShape(imageShape))))
            .addOutput(
                ValueInfoProto.newBuilder()
                    .setName("logits")
                    .setType(
                        TypeProto.newBuilder()
                            .setTensorType(
                                TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape))))
            .build();
    save(file, graph);
  }

  /** A node of {@code op} from {@code inputs} to {@code output}, without attributes. */
  static NodeProto node(String op, String output, String... inputs) {
    NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).addOutput(output);
    for (String input : inputs) {
      node.addInput(input);
    }
    return node.build();
  }

  /** Writes a graph as a model of IR version 8, opset 13 (what the test models need). */
  static void save(Path file, GraphProto graph) throws IOException {
    ModelProto model =
        ModelProto.newBuilder()
            .setIrVersion(8)
            .setProducerName("sluice-testkit")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
            .setGraph(graph)
            .build();
    Files.write(file, model.toByteArray());
  }

  private static TensorProto weights(String name, int width, Random random) {
    ByteBuffer data = ByteBuffer.allocate(width * width * 4).order(ByteOrder.LITTLE_ENDIAN);
    float scale = (float) (1 / Math.sqrt(width));
    for (int i = 0; i < width * width; i++) {
      data.putFloat((float) random.nextGaussian() * scale);
    }
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(FLOAT)
        .addDims(width)
        .addDims(width)
        .setRawData(ByteString.copyFrom(data.flip()))
        .build();
  }

  private static ValueInfoProto batchOf(String name, int width) {
    TensorShapeProto shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width))
            .build();
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(FLOAT).setShape(shape)))
        .build();
  }
}
