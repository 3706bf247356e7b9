package io.sluice.testkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.api.DataType;
import io.sluice.api.Tensor;
import io.sluice.testkit.onnx.TensorProto;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads ONNX backend test cases ({@code model.onnx} + {@code test_data_set_0/{input,output}_N.pb}),
 * as Debian's {@code libonnx-testdata} installs them, into Sluice tensors.
 */
public final class OnnxTestData {
  public static final Path ROOT = Path.of("/usr/share/libonnx-testdata/data");

  /** The corpus Sluice is held to: ONNX's operator tests and the converted PyTorch models. */
  public static final List<String> GROUPS =
      List.of("node", "simple", "pytorch-operator", "pytorch-converted");

  /**
   * Cases ONNX Runtime does not reproduce, {@code group/name} to the reason; see {@code
   * onnx-exclusions.tsv}.
   */
  private static final String EXCLUSIONS = "onnx-exclusions.tsv";

  private OnnxTestData() {}

  /** One test case: a model and its golden inputs and outputs. */
  public record Case(String name, Path model, List<Tensor> inputs, List<Tensor> outputs) {}

  /** Every case under {@code ROOT/group} whose tensors all have V2 datatypes, in name order. */
  public static List<Case> cases(String group) throws IOException {
    Path dir = ROOT.resolve(group);
    List<Case> cases = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return cases;
    }
    try (var entries = Files.list(dir)) {
      for (Path caseDir : entries.sorted().toList()) {
        read(caseDir).ifPresent(cases::add);
      }
    }
    return cases;
  }

  /**
   * The cases excluded from the corpus, each {@code group/name} with why: ONNX Runtime itself does
   * not reproduce the golden outputs (an operator or type it lacks, a different rounding). Every
   * other case must be reproduced by the runtime and by the server.
   */
  public static Map<String, String> exclusions() {
    Map<String, String> excluded = new TreeMap<>();
    try (InputStream in = OnnxTestData.class.getResourceAsStream(EXCLUSIONS)) {
      if (in == null) {
        throw new IllegalStateException(EXCLUSIONS + " is missing from the test kit");
      }
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] fields = line.split("\t", 2);
        if (fields.length != 2 || fields[1].isBlank()) {
          throw new IllegalStateException(EXCLUSIONS + ": every entry needs a reason: " + line);
        }
        excluded.put(fields[0], fields[1]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return excluded;
  }

  /**
   * The case in a directory, or empty when it is not one or holds tensors Sluice cannot express.
   */
  public static Optional<Case> read(Path caseDir) throws IOException {
    Path model = caseDir.resolve("model.onnx");
    Path data = caseDir.resolve("test_data_set_0");
    if (!Files.isRegularFile(model) || !Files.isDirectory(data)) {
      return Optional.empty();
    }
    try {
      List<Tensor> inputs = readAll(data, "input_");
      List<Tensor> outputs = readAll(data, "output_");
      if (outputs.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(new Case(caseDir.getFileName().toString(), model, inputs, outputs));
    } catch (UnsupportedTensorException e) {
      return Optional.empty();
    }
  }

  private static List<Tensor> readAll(Path dir, String prefix) throws IOException {
    List<Tensor> tensors = new ArrayList<>();
    for (int i = 0; ; i++) {
      Path file = dir.resolve(prefix + i + ".pb");
      if (!Files.isRegularFile(file)) {
        return tensors;
      }
      try {
        tensors.add(toTensor(parse(file), prefix + i));
      } catch (IndexOutOfBoundsException
          | IllegalArgumentException
          | ArithmeticException
          | io.sluice.api.InvalidInputException e) {
        throw new UnsupportedTensorException(file + " does not hold the elements its dims promise");
      }
    }
  }

  private static TensorProto parse(Path file) throws IOException {
    try {
      TensorProto proto = TensorProto.parseFrom(Files.readAllBytes(file));
      if (proto.getDataType() == 0) {
        throw new UnsupportedTensorException("not a tensor (sequence, map or optional)");
      }
      return proto;
    } catch (InvalidProtocolBufferException e) {
      throw new UnsupportedTensorException("not a TensorProto");
    }
  }

  /** Converts an ONNX TensorProto into a tensor; unnamed tensors get {@code fallbackName}. */
  public static Tensor toTensor(TensorProto proto, String fallbackName) {
    String name = proto.getName().isEmpty() ? fallbackName : proto.getName();
    DataType type = dataType(proto.getDataType());
    long[] shape = proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
    long count = Tensor.elementCount(name, shape);
    if (count > (16 << 20)) {
      throw new UnsupportedTensorException(name + " is too large for a test tensor");
    }
    if (type == DataType.BYTES) {
      List<byte[]> elements = new ArrayList<>();
      for (ByteString element : proto.getStringDataList()) {
        elements.add(element.toByteArray());
      }
      return Tensor.ofBytes(name, shape, elements);
    }
    if (!proto.getRawData().isEmpty() || count == 0) {
      return Tensor.of(
          name,
          type,
          shape,
          proto.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }
    ByteBuffer data =
        ByteBuffer.allocate((int) count * type.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      switch (type) {
        case FP32 -> data.putFloat(proto.getFloatData(i));
        case FP64 -> data.putDouble(proto.getDoubleData(i));
        case INT64 -> data.putLong(proto.getInt64Data(i));
        case UINT32 -> data.putInt((int) proto.getUint64Data(i));
        case UINT64 -> data.putLong(proto.getUint64Data(i));
        case BOOL, INT8, UINT8 -> data.put((byte) proto.getInt32Data(i));
        case INT16, UINT16, FP16, BF16 -> data.putShort((short) proto.getInt32Data(i));
        case INT32 -> data.putInt(proto.getInt32Data(i));
        default -> throw new UnsupportedTensorException(type.toString());
      }
    }
    return Tensor.of(name, type, shape, data.flip());
  }

  private static DataType dataType(int onnxType) {
    return switch (onnxType) {
      case 1 -> DataType.FP32;
      case 2 -> DataType.UINT8;
      case 3 -> DataType.INT8;
      case 4 -> DataType.UINT16;
      case 5 -> DataType.INT16;
      case 6 -> DataType.INT32;
      case 7 -> DataType.INT64;
      case 8 -> DataType.BYTES;
      case 9 -> DataType.BOOL;
      case 10 -> DataType.FP16;
      case 11 -> DataType.FP64;
      case 12 -> DataType.UINT32;
      case 13 -> DataType.UINT64;
      case 16 -> DataType.BF16;
      default -> throw new UnsupportedTensorException("ONNX element type " + onnxType);
    };
  }

  /**
   * A golden tensor of a kind the V2 protocol cannot carry (complex numbers, float8, sequences...).
   */
  public static final class UnsupportedTensorException extends RuntimeException {
    UnsupportedTensorException(String message) {
      super(message);
    }
  }
}
