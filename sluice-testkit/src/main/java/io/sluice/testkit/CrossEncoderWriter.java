package io.sluice.testkit;

import static io.sluice.testkit.OnnxModelWriter.node;

import com.google.protobuf.ByteString;
import io.sluice.testkit.onnx.AttributeProto;
import io.sluice.testkit.onnx.GraphProto;
import io.sluice.testkit.onnx.NodeProto;
import io.sluice.testkit.onnx.TensorProto;
import io.sluice.testkit.onnx.TensorShapeProto;
import io.sluice.testkit.onnx.TypeProto;
import io.sluice.testkit.onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

/**
 * Writes a cross-encoder as ONNX, in the layout of Hugging Face's sequence-classification exports
 * (inputs {@code input_ids}, {@code attention_mask}, {@code token_type_ids} INT64 {@code [batch,
 * tokens]}; output {@code logits} FP32 {@code [batch, 1]}), with seeded random weights: token and
 * token-type embeddings, tanh, the mean over the real tokens, then a linear head. Real plumbing
 * (pair tokenization, padding, batching), a score anyone can compute by hand ({@link
 * Weights#logit}); no cross-encoder weights can be downloaded here.
 */
public final class CrossEncoderWriter {
  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private CrossEncoderWriter() {}

  /** The weights written, to compute the expected logit of a tokenized pair. */
  public record Weights(int width, float[] tokens, float[] types, float[] head) {
    public double logit(long[] ids, long[] typeIds) {
      double[] mean = new double[width];
      for (int t = 0; t < ids.length; t++) {
        for (int d = 0; d < width; d++) {
          mean[d] +=
              Math.tanh(tokens[(int) ids[t] * width + d] + types[(int) typeIds[t] * width + d]);
        }
      }
      double logit = 0;
      for (int d = 0; d < width; d++) {
        logit += mean[d] / ids.length * head[d];
      }
      return logit;
    }
  }

  public static Weights write(Path file, int vocabulary, int width, long seed) throws IOException {
    Random random = new Random(seed);
    float[] tokens = gaussian(random, vocabulary * width, 1);
    float[] types = gaussian(random, 2 * width, 1);
    float[] head = gaussian(random, width, 1);
    GraphProto graph =
        GraphProto.newBuilder()
            .setName("cross-encoder")
            .addInitializer(floats("token_embedding", tokens, vocabulary, width))
            .addInitializer(floats("type_embedding", types, 2, width))
            .addInitializer(floats("head", head, width, 1))
            .addInitializer(longs("axis_2", 2))
            .addInitializer(longs("axis_1", 1))
            .addNode(node("Gather", "e", "token_embedding", "input_ids"))
            .addNode(node("Gather", "t", "type_embedding", "token_type_ids"))
            .addNode(node("Add", "et", "e", "t"))
            .addNode(node("Tanh", "h", "et"))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("Cast")
                    .addInput("attention_mask")
                    .addOutput("mask")
                    .addAttribute(
                        AttributeProto.newBuilder()
                            .setName("to")
                            .setType(AttributeProto.AttributeType.INT)
                            .setI(FLOAT)))
            .addNode(node("Unsqueeze", "mask3", "mask", "axis_2"))
            .addNode(node("Mul", "masked", "h", "mask3"))
            .addNode(reduceSum("sum", "masked"))
            .addNode(reduceSum("count", "mask3"))
            .addNode(node("Div", "mean", "sum", "count"))
            .addNode(node("MatMul", "logits", "mean", "head"))
            .addInput(tokensOf("input_ids"))
            .addInput(tokensOf("attention_mask"))
            .addInput(tokensOf("token_type_ids"))
            .addOutput(
                ValueInfoProto.newBuilder()
                    .setName("logits")
                    .setType(
                        TypeProto.newBuilder()
                            .setTensorType(
                                TypeProto.Tensor.newBuilder()
                                    .setElemType(FLOAT)
                                    .setShape(
                                        TensorShapeProto.newBuilder()
                                            .addDim(
                                                TensorShapeProto.Dimension.newBuilder()
                                                    .setDimParam("batch"))
                                            .addDim(
                                                TensorShapeProto.Dimension.newBuilder()
                                                    .setDimValue(1))))))
            .build();
    OnnxModelWriter.save(file, graph);
    return new Weights(width, tokens, types, head);
  }

  private static NodeProto reduceSum(String output, String input) {
    return NodeProto.newBuilder()
        .setOpType("ReduceSum")
        .addInput(input)
        .addInput("axis_1")
        .addOutput(output)
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("keepdims")
                .setType(AttributeProto.AttributeType.INT)
                .setI(0))
        .build();
  }

  private static float[] gaussian(Random random, int count, double scale) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (random.nextGaussian() * scale);
    }
    return values;
  }

  private static TensorProto floats(String name, float[] values, long rows, long columns) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : values) {
      data.putFloat(value);
    }
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(FLOAT)
        .addDims(rows)
        .addDims(columns)
        .setRawData(ByteString.copyFrom(data.flip()))
        .build();
  }

  private static TensorProto longs(String name, long value) {
    ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(INT64)
        .addDims(1)
        .setRawData(ByteString.copyFrom(data.flip()))
        .build();
  }

  private static ValueInfoProto tokensOf(String name) {
    TensorShapeProto shape =
        TensorShapeProto.newBuilder()
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
            .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("tokens"))
            .build();
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(INT64).setShape(shape)))
        .build();
  }
}
