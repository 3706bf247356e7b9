package io.sluice.protocol.kserve.grpc;

import com.google.protobuf.ByteString;
import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.protocol.kserve.grpc.proto.InferParameter;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelInferResponse;
import io.sluice.protocol.kserve.json.ByteSink;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts V2 gRPC messages to and from neutral requests. Inputs come as typed {@code contents} or
 * as {@code raw_input_contents}; outputs always go out as {@code raw_output_contents}, as Triton
 * answers and as its clients read them.
 */
public final class GrpcTensorCodec {
  private GrpcTensorCodec() {}

  public static InferRequest decode(ModelInferRequest message) {
    List<ModelInferRequest.InferInputTensor> inputs = message.getInputsList();
    boolean raw = message.getRawInputContentsCount() > 0;
    if (raw && message.getRawInputContentsCount() != inputs.size()) {
      throw new InvalidInputException(
          "raw_input_contents has "
              + message.getRawInputContentsCount()
              + " entries but the request has "
              + inputs.size()
              + " inputs");
    }
    List<Tensor> tensors = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      ModelInferRequest.InferInputTensor input = inputs.get(i);
      String name = input.getName();
      DataType datatype =
          DataType.fromWireName(input.getDatatype())
              .orElseThrow(
                  () ->
                      new InvalidInputException(
                          "input '"
                              + name
                              + "' has unknown datatype '"
                              + input.getDatatype()
                              + "'"));
      long[] shape = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
      if (raw) {
        if (input.hasContents()) {
          throw new InvalidInputException(
              "input '" + name + "' sets contents while the request uses raw_input_contents");
        }
        ByteBuffer data =
            message.getRawInputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        tensors.add(Tensor.of(name, datatype, shape, data));
      } else {
        tensors.add(fromContents(name, datatype, shape, input.getContents()));
      }
    }
    List<String> outputs = null;
    if (message.getOutputsCount() > 0) {
      outputs =
          message.getOutputsList().stream()
              .map(ModelInferRequest.InferRequestedOutputTensor::getName)
              .toList();
    }
    return new InferRequest(
        message.getModelName(),
        message.getModelVersion(),
        message.getId().isEmpty() ? null : message.getId(),
        parameters(message.getParametersMap()),
        tensors,
        outputs);
  }

  private static Map<String, Object> parameters(Map<String, InferParameter> parameters) {
    Map<String, Object> values = new LinkedHashMap<>();
    parameters.forEach(
        (key, value) -> {
          switch (value.getParameterChoiceCase()) {
            case BOOL_PARAM -> values.put(key, value.getBoolParam());
            case INT64_PARAM -> values.put(key, value.getInt64Param());
            case STRING_PARAM -> values.put(key, value.getStringParam());
            case DOUBLE_PARAM -> values.put(key, value.getDoubleParam());
            case UINT64_PARAM -> values.put(key, value.getUint64Param());
            case PARAMETERCHOICE_NOT_SET -> {}
          }
        });
    return values;
  }

  private static Tensor fromContents(
      String name, DataType type, long[] shape, InferTensorContents contents) {
    long expected = Tensor.elementCount(name, shape);
    // The shape is the client's word, not yet checked against the contents: size the buffer for a
    // small
    // tensor and let it grow with what really arrives.
    long promised = Math.min(expected, 1 << 20) * Math.max(1, type.elementSize());
    ByteSink sink = new ByteSink((int) Math.max(16, Math.min(1 << 20, promised)));
    int count;
    switch (type) {
      case BOOL -> {
        count = contents.getBoolContentsCount();
        for (int i = 0; i < count; i++) {
          sink.put1(contents.getBoolContents(i) ? 1 : 0);
        }
      }
      case INT8, INT16, INT32 -> {
        count = contents.getIntContentsCount();
        long min =
            type == DataType.INT8
                ? Byte.MIN_VALUE
                : type == DataType.INT16 ? Short.MIN_VALUE : Integer.MIN_VALUE;
        long max =
            type == DataType.INT8
                ? Byte.MAX_VALUE
                : type == DataType.INT16 ? Short.MAX_VALUE : Integer.MAX_VALUE;
        for (int i = 0; i < count; i++) {
          int value = contents.getIntContents(i);
          checkRange(name, type, value, min, max);
          putSized(sink, type, value);
        }
      }
      case INT64 -> {
        count = contents.getInt64ContentsCount();
        for (int i = 0; i < count; i++) {
          sink.put8(contents.getInt64Contents(i));
        }
      }
      case UINT8, UINT16, UINT32 -> {
        count = contents.getUintContentsCount();
        long max = type == DataType.UINT8 ? 0xFF : type == DataType.UINT16 ? 0xFFFF : 0xFFFF_FFFFL;
        for (int i = 0; i < count; i++) {
          long value = Integer.toUnsignedLong(contents.getUintContents(i));
          checkRange(name, type, value, 0, max);
          putSized(sink, type, (int) value);
        }
      }
      case UINT64 -> {
        count = contents.getUint64ContentsCount();
        for (int i = 0; i < count; i++) {
          sink.put8(contents.getUint64Contents(i));
        }
      }
      case FP32 -> {
        count = contents.getFp32ContentsCount();
        for (int i = 0; i < count; i++) {
          sink.put4(Float.floatToRawIntBits(contents.getFp32Contents(i)));
        }
      }
      case FP64 -> {
        count = contents.getFp64ContentsCount();
        for (int i = 0; i < count; i++) {
          sink.put8(Double.doubleToRawLongBits(contents.getFp64Contents(i)));
        }
      }
      case BYTES -> {
        count = contents.getBytesContentsCount();
        for (int i = 0; i < count; i++) {
          ByteString element = contents.getBytesContents(i);
          sink.put4(element.size());
          sink.put(element.toByteArray());
        }
      }
      case FP16, BF16 ->
          throw new InvalidInputException(
              "input '"
                  + name
                  + "' is "
                  + type
                  + ", which has no typed contents field; send it in raw_input_contents");
      default -> throw new IllegalStateException(type.toString());
    }
    if (count != expected) {
      throw new InvalidInputException(
          "input '"
              + name
              + "' has shape "
              + java.util.Arrays.toString(shape)
              + ", which needs "
              + expected
              + " elements, but its contents hold "
              + count);
    }
    return Tensor.of(name, type, shape, sink.toBuffer());
  }

  private static void checkRange(String name, DataType type, long value, long min, long max) {
    if (value < min || value > max) {
      throw new InvalidInputException(
          "contents of '" + name + "' hold " + value + ", out of range for " + type);
    }
  }

  private static void putSized(ByteSink sink, DataType type, int value) {
    switch (type.elementSize()) {
      case 1 -> sink.put1(value);
      case 2 -> sink.put2(value);
      default -> sink.put4(value);
    }
  }

  public static ModelInferResponse encode(InferResponse response) {
    ModelInferResponse.Builder builder =
        ModelInferResponse.newBuilder()
            .setModelName(response.modelName())
            .setModelVersion(response.modelVersion() == null ? "" : response.modelVersion());
    if (response.id() != null) {
      builder.setId(response.id());
    }
    for (Tensor output : response.outputs()) {
      ModelInferResponse.InferOutputTensor.Builder tensor =
          ModelInferResponse.InferOutputTensor.newBuilder()
              .setName(output.name())
              .setDatatype(output.datatype().name());
      for (long dim : output.shape()) {
        tensor.addShape(dim);
      }
      builder.addOutputs(tensor);
      builder.addRawOutputContents(ByteString.copyFrom(output.data()));
    }
    return builder.build();
  }
}
