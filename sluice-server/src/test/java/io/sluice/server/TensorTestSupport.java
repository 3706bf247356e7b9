package io.sluice.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.sluice.api.DataType;
import io.sluice.api.Tensor;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * Client-side encoding and decoding of V2 tensors for tests, written independently of the server's
 * codecs so that a bug there cannot hide behind the same bug here.
 */
public final class TensorTestSupport {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private TensorTestSupport() {}

  /** A V2 REST JSON input object with flat {@code data}. */
  public static String jsonInput(Tensor tensor) {
    StringBuilder json = new StringBuilder();
    json.append("{\"name\":")
        .append(quote(tensor.name()))
        .append(",\"shape\":")
        .append(Arrays.toString(tensor.shape()))
        .append(",\"datatype\":\"")
        .append(tensor.datatype())
        .append("\",\"parameters\":{},\"data\":[");
    ByteBuffer data = tensor.data();
    for (long i = 0; i < tensor.elementCount(); i++) {
      if (i > 0) {
        json.append(',');
      }
      json.append(jsonElement(tensor.datatype(), data));
    }
    return json.append("]}").toString();
  }

  private static String jsonElement(DataType type, ByteBuffer data) {
    return switch (type) {
      case BOOL -> data.get() != 0 ? "true" : "false";
      case INT8 -> Byte.toString(data.get());
      case INT16 -> Short.toString(data.getShort());
      case INT32 -> Integer.toString(data.getInt());
      case INT64 -> Long.toString(data.getLong());
      case UINT8 -> Integer.toString(data.get() & 0xFF);
      case UINT16 -> Integer.toString(data.getShort() & 0xFFFF);
      case UINT32 -> Long.toString(data.getInt() & 0xFFFFFFFFL);
      case UINT64 -> Long.toUnsignedString(data.getLong());
      case FP32 -> floatText(data.getFloat());
      case FP64 -> doubleText(data.getDouble());
      case FP16 -> floatText(Float.float16ToFloat(data.getShort()));
      case BF16 -> floatText(Float.intBitsToFloat((data.getShort() & 0xFFFF) << 16));
      case BYTES -> {
        byte[] bytes = new byte[data.getInt()];
        data.get(bytes);
        yield quote(new String(bytes, StandardCharsets.UTF_8));
      }
    };
  }

  private static String floatText(float value) {
    return Float.isFinite(value) ? Float.toString(value) : quote(Float.toString(value));
  }

  private static String doubleText(double value) {
    return Double.isFinite(value) ? Double.toString(value) : quote(Double.toString(value));
  }

  public static String quote(String text) {
    try {
      return MAPPER.writeValueAsString(text);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Raw bytes of a tensor. */
  public static byte[] bytes(Tensor tensor) {
    ByteBuffer data = tensor.data();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    return bytes;
  }

  /** A tensor from a V2 REST JSON output object's {@code data}. */
  public static Tensor fromJsonOutput(JsonNode output) {
    DataType type = DataType.valueOf(output.get("datatype").asText());
    long[] shape = shape(output.get("shape"));
    ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    List<JsonNode> flat = new ArrayList<>();
    flatten(output.get("data"), flat);
    for (JsonNode value : flat) {
      buffer.clear();
      switch (type) {
        case BOOL -> buffer.put((byte) (value.asBoolean() ? 1 : 0));
        case INT8, UINT8 -> buffer.put((byte) value.asLong());
        case INT16, UINT16 -> buffer.putShort((short) value.asLong());
        case INT32, UINT32 -> buffer.putInt((int) value.asLong());
        case INT64 -> buffer.putLong(value.asLong());
        case UINT64 -> buffer.putLong(value.bigIntegerValue().longValue());
        case FP32 -> buffer.putFloat((float) number(value));
        case FP64 -> buffer.putDouble(number(value));
        case FP16 -> buffer.putShort(Float.floatToFloat16((float) number(value)));
        case BF16 ->
            buffer.putShort((short) (Float.floatToRawIntBits((float) number(value)) >>> 16));
        case BYTES -> {
          byte[] bytes = value.asText().getBytes(StandardCharsets.UTF_8);
          buffer.putInt(bytes.length).put(bytes);
        }
      }
      out.write(buffer.array(), 0, buffer.position());
    }
    return Tensor.of(output.get("name").asText(), type, shape, ByteBuffer.wrap(out.toByteArray()));
  }

  private static double number(JsonNode value) {
    if (value.isTextual()) {
      return Double.parseDouble(value.asText());
    }
    return value.asDouble();
  }

  private static void flatten(JsonNode node, List<JsonNode> into) {
    if (node.isArray()) {
      for (JsonNode child : node) {
        flatten(child, into);
      }
    } else {
      into.add(node);
    }
  }

  public static long[] shape(JsonNode shape) {
    long[] dims = new long[shape.size()];
    Iterator<JsonNode> it = shape.elements();
    for (int i = 0; it.hasNext(); i++) {
      dims[i] = it.next().asLong();
    }
    return dims;
  }

  /** A gRPC input tensor with typed contents, or empty when the datatype has no typed field. */
  public static Optional<ModelInferRequest.InferInputTensor> grpcTypedInput(Tensor tensor) {
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    ByteBuffer data = tensor.data();
    for (long i = 0; i < tensor.elementCount(); i++) {
      switch (tensor.datatype()) {
        case BOOL -> contents.addBoolContents(data.get() != 0);
        case INT8 -> contents.addIntContents(data.get());
        case INT16 -> contents.addIntContents(data.getShort());
        case INT32 -> contents.addIntContents(data.getInt());
        case INT64 -> contents.addInt64Contents(data.getLong());
        case UINT8 -> contents.addUintContents(data.get() & 0xFF);
        case UINT16 -> contents.addUintContents(data.getShort() & 0xFFFF);
        case UINT32 -> contents.addUintContents(data.getInt());
        case UINT64 -> contents.addUint64Contents(data.getLong());
        case FP32 -> contents.addFp32Contents(data.getFloat());
        case FP64 -> contents.addFp64Contents(data.getDouble());
        case BYTES -> {
          byte[] bytes = new byte[data.getInt()];
          data.get(bytes);
          contents.addBytesContents(ByteString.copyFrom(bytes));
        }
        case FP16, BF16 -> {
          return Optional.empty();
        }
      }
    }
    return Optional.of(grpcInputHeader(tensor).setContents(contents).build());
  }

  public static ModelInferRequest.InferInputTensor.Builder grpcInputHeader(Tensor tensor) {
    ModelInferRequest.InferInputTensor.Builder input =
        ModelInferRequest.InferInputTensor.newBuilder()
            .setName(tensor.name())
            .setDatatype(tensor.datatype().name());
    for (long dim : tensor.shape()) {
      input.addShape(dim);
    }
    return input;
  }
}
