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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a stand-in Piper voice: {@code model.onnx} with Piper's exact inputs ({@code input} INT64
 * {@code [1, phonemes]}, {@code input_lengths} INT64 {@code [1]}, {@code scales} FP32 {@code [3]},
 * and {@code sid} INT64 {@code [1]} when it has several speakers) and output ({@code output} FP32
 * {@code [1, 1, samples]}), plus its {@code model.onnx.json}. No Piper weights can be downloaded
 * where the tests run, so this voice's "speech" shows what it was given: {@link #HOP} samples of
 * {@code (id + 200 · sid) / 4096} per phoneme id, then {@link #HOP} samples of {@code length_scale
 * · 10 / 4096}, so that a test can read the ids, the speaker and the length scale back from the
 * audio.
 */
public final class PiperVoiceWriter {
  /** Samples per phoneme id. */
  public static final int HOP = 64;

  private static final int FLOAT = 1;
  private static final int INT64 = 7;

  private PiperVoiceWriter() {}

  /**
   * Writes {@code dir/model.onnx} and {@code dir/model.onnx.json}.
   *
   * @param phonemeIds the voice's phoneme_id_map (must hold "^", "$" and "_")
   * @param speakers names to speaker ids; empty for a single-speaker voice
   */
  public static Path write(
      Path dir, Map<String, Integer> phonemeIds, Map<String, Integer> speakers, int sampleRate)
      throws IOException {
    Files.createDirectories(dir);
    boolean multi = !speakers.isEmpty();
    GraphProto.Builder graph =
        GraphProto.newBuilder()
            .setName("piper-stand-in")
            .addInitializer(longs("axis_2", 2))
            .addInitializer(longs("one", 1))
            .addInitializer(longVector("block", 1, 1, HOP))
            .addInitializer(longVector("flat", 1, 1, -1))
            .addInitializer(scalar("per_id", 1f / 4096))
            .addInitializer(scalar("per_speaker", 200f))
            .addInitializer(scalar("per_length", 10f / 4096))
            .addNode(cast("input_f", "input"));
    String ids = "input_f";
    if (multi) {
      graph
          .addNode(cast("sid_f", "sid"))
          .addNode(node("Mul", "offset", "sid_f", "per_speaker"))
          .addNode(node("Add", "shifted", "input_f", "offset"));
      ids = "shifted";
    }
    graph
        .addNode(node("Mul", "values", ids, "per_id"))
        .addNode(node("Unsqueeze", "column", "values", "axis_2"))
        .addNode(node("Expand", "blocks", "column", "block"))
        .addNode(node("Reshape", "phonemes", "blocks", "flat"))
        .addNode(node("Gather", "length_scale", "scales", "one"))
        .addNode(node("Mul", "length_value", "length_scale", "per_length"))
        .addNode(node("Expand", "length_block", "length_value", "block"))
        .addNode(
            NodeProto.newBuilder()
                .setOpType("Concat")
                .addInput("phonemes")
                .addInput("length_block")
                .addOutput("output")
                .addAttribute(
                    AttributeProto.newBuilder()
                        .setName("axis")
                        .setType(AttributeProto.AttributeType.INT)
                        .setI(2)))
        .addInput(tensor("input", INT64, "1", "phonemes"))
        .addInput(tensor("input_lengths", INT64, "1"))
        .addInput(tensor("scales", FLOAT, "3"))
        .addOutput(tensor("output", FLOAT, "1", "1", "samples"));
    if (multi) {
      graph.addInput(tensor("sid", INT64, "1"));
    }
    Path model = dir.resolve("model.onnx");
    OnnxModelWriter.save(model, graph.build());
    StringBuilder json = new StringBuilder();
    json.append("{\"audio\": {\"sample_rate\": ").append(sampleRate).append("},");
    json.append("\"espeak\": {\"voice\": \"en-us\"},");
    json.append(
        "\"inference\": {\"noise_scale\": 0.667, \"length_scale\": 1.0, \"noise_w\": 0.8},");
    json.append("\"phoneme_type\": \"espeak\",");
    json.append("\"num_speakers\": ").append(multi ? speakers.size() : 1).append(',');
    json.append("\"speaker_id_map\": {");
    json.append(
        String.join(
            ",",
            speakers.entrySet().stream()
                .map(e -> quoted(e.getKey()) + ": " + e.getValue())
                .toList()));
    json.append("}, \"phoneme_id_map\": {");
    json.append(
        String.join(
            ",",
            phonemeIds.entrySet().stream()
                .map(e -> quoted(e.getKey()) + ": [" + e.getValue() + "]")
                .toList()));
    json.append("}}");
    Files.writeString(dir.resolve("model.onnx.json"), json.toString());
    return model;
  }

  private static String quoted(String text) {
    StringBuilder out = new StringBuilder("\"");
    text.codePoints()
        .forEach(
            point -> {
              if (point == '"' || point == '\\') {
                out.append('\\').appendCodePoint(point);
              } else if (point < 0x20) {
                out.append(String.format("\\u%04x", point));
              } else {
                out.appendCodePoint(point);
              }
            });
    return out.append('"').toString();
  }

  private static NodeProto cast(String output, String input) {
    return NodeProto.newBuilder()
        .setOpType("Cast")
        .addInput(input)
        .addOutput(output)
        .addAttribute(
            AttributeProto.newBuilder()
                .setName("to")
                .setType(AttributeProto.AttributeType.INT)
                .setI(FLOAT))
        .build();
  }

  private static TensorProto scalar(String name, float value) {
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(FLOAT)
        .setRawData(
            ByteString.copyFrom(
                ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value).flip()))
        .build();
  }

  private static TensorProto longs(String name, long value) {
    return longVector(name, value);
  }

  private static TensorProto longVector(String name, long... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long value : values) {
      data.putLong(value);
    }
    return TensorProto.newBuilder()
        .setName(name)
        .setDataType(INT64)
        .addDims(values.length)
        .setRawData(ByteString.copyFrom(data.flip()))
        .build();
  }

  /** A graph input or output; each dimension a number or a name. */
  private static ValueInfoProto tensor(String name, int type, String... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (String dim : dims) {
      shape.addDim(
          dim.chars().allMatch(Character::isDigit)
              ? TensorShapeProto.Dimension.newBuilder().setDimValue(Long.parseLong(dim))
              : TensorShapeProto.Dimension.newBuilder().setDimParam(dim));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape)))
        .build();
  }
}
