package io.sluice.protocol.kserve.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.http.json.FloatWriter;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes tensor elements as JSON values, for every datatype: numbers for integers and
 * floats (plus the strings "NaN", "Infinity", "-Infinity" for floats, as Triton's clients send
 * them), booleans for BOOL, strings for BYTES. FP16 and BF16 go through float. Nested arrays are
 * read as row-major.
 */
public final class TensorJson {
  private static final BigInteger UINT64_MAX =
      BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

  private TensorJson() {}

  /**
   * Reads the value at the parser's current token (an array, possibly nested, or a single scalar)
   * into {@code sink} and returns the number of elements read.
   */
  public static long readData(JsonParser parser, String tensorName, DataType type, ByteSink sink)
      throws IOException {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_ARRAY) {
      long count = 0;
      while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
        if (token == null) {
          throw new InvalidInputException(
              "data of '" + tensorName + "' ends before its array closes");
        }
        count += readData(parser, tensorName, type, sink);
      }
      return count;
    }
    readElement(parser, token, tensorName, type, sink);
    return 1;
  }

  private static void readElement(
      JsonParser parser, JsonToken token, String name, DataType type, ByteSink sink)
      throws IOException {
    switch (type) {
      case BOOL -> {
        if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
          sink.put1(token == JsonToken.VALUE_TRUE ? 1 : 0);
        } else if (token == JsonToken.VALUE_NUMBER_INT
            && (parser.getLongValue() == 0 || parser.getLongValue() == 1)) {
          sink.put1((int) parser.getLongValue());
        } else {
          throw wrongElement(parser, token, name, type);
        }
      }
      case INT8 ->
          sink.put1((int) integer(parser, token, name, type, Byte.MIN_VALUE, Byte.MAX_VALUE));
      case INT16 ->
          sink.put2((int) integer(parser, token, name, type, Short.MIN_VALUE, Short.MAX_VALUE));
      case INT32 ->
          sink.put4((int) integer(parser, token, name, type, Integer.MIN_VALUE, Integer.MAX_VALUE));
      case INT64 -> sink.put8(integer(parser, token, name, type, Long.MIN_VALUE, Long.MAX_VALUE));
      case UINT8 -> sink.put1((int) integer(parser, token, name, type, 0, 0xFF));
      case UINT16 -> sink.put2((int) integer(parser, token, name, type, 0, 0xFFFF));
      case UINT32 -> sink.put4((int) integer(parser, token, name, type, 0, 0xFFFF_FFFFL));
      case UINT64 -> sink.put8(unsigned64(parser, token, name));
      case FP32 -> sink.put4(Float.floatToRawIntBits((float) floating(parser, token, name, type)));
      case FP64 -> sink.put8(Double.doubleToRawLongBits(floating(parser, token, name, type)));
      case FP16 -> sink.put2(Float.floatToFloat16((float) floating(parser, token, name, type)));
      case BF16 -> sink.put2(toBfloat16((float) floating(parser, token, name, type)));
      case BYTES -> {
        if (token != JsonToken.VALUE_STRING) {
          throw wrongElement(parser, token, name, type);
        }
        byte[] bytes = parser.getText().getBytes(StandardCharsets.UTF_8);
        sink.put4(bytes.length);
        sink.put(bytes);
      }
    }
  }

  private static long integer(
      JsonParser parser, JsonToken token, String name, DataType type, long min, long max)
      throws IOException {
    if (token != JsonToken.VALUE_NUMBER_INT) {
      throw wrongElement(parser, token, name, type);
    }
    if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
      throw outOfRange(parser, name, type);
    }
    long value = parser.getLongValue();
    if (value < min || value > max) {
      throw outOfRange(parser, name, type);
    }
    return value;
  }

  private static long unsigned64(JsonParser parser, JsonToken token, String name)
      throws IOException {
    if (token != JsonToken.VALUE_NUMBER_INT) {
      throw wrongElement(parser, token, name, DataType.UINT64);
    }
    BigInteger value = parser.getBigIntegerValue();
    if (value.signum() < 0 || value.compareTo(UINT64_MAX) > 0) {
      throw outOfRange(parser, name, DataType.UINT64);
    }
    return value.longValue();
  }

  private static double floating(JsonParser parser, JsonToken token, String name, DataType type)
      throws IOException {
    if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
      return parser.getDoubleValue();
    }
    if (token == JsonToken.VALUE_STRING) {
      switch (parser.getText()) {
        case "NaN", "nan" -> {
          return Double.NaN;
        }
        case "Infinity", "inf", "+Infinity" -> {
          return Double.POSITIVE_INFINITY;
        }
        case "-Infinity", "-inf" -> {
          return Double.NEGATIVE_INFINITY;
        }
        default -> {}
      }
    }
    throw wrongElement(parser, token, name, type);
  }

  private static InvalidInputException wrongElement(
      JsonParser parser, JsonToken token, String name, DataType type) throws IOException {
    String found =
        switch (token) {
          case VALUE_STRING -> "string \"" + abbreviate(parser.getText()) + "\"";
          case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number " + parser.getText();
          case VALUE_TRUE, VALUE_FALSE -> "boolean " + parser.getText();
          case VALUE_NULL -> "null";
          case START_OBJECT -> "an object";
          default -> String.valueOf(token);
        };
    return new InvalidInputException(
        "data of '" + name + "' holds " + found + ", which is not a " + type + " value");
  }

  private static InvalidInputException outOfRange(JsonParser parser, String name, DataType type)
      throws IOException {
    return new InvalidInputException(
        "data of '" + name + "' holds " + parser.getText() + ", out of range for " + type);
  }

  private static String abbreviate(String text) {
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }

  static int toBfloat16(float value) {
    int bits = Float.floatToRawIntBits(value);
    if (Float.isNaN(value)) {
      return (bits >>> 16) | 0x40;
    }
    int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
    return (bits + roundingBias) >>> 16;
  }

  static float fromBfloat16(int bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** Writes a tensor's elements as one flat JSON array. */
  public static void writeFlat(JsonGenerator generator, Tensor tensor) throws IOException {
    ByteBuffer data = tensor.data();
    generator.writeStartArray();
    writeElements(generator, tensor.datatype(), data, tensor.elementCount());
    generator.writeEndArray();
  }

  /** Writes {@code count} elements from {@code data} (consuming them) as JSON values. */
  public static void writeElements(
      JsonGenerator generator, DataType type, ByteBuffer data, long count) throws IOException {
    FloatWriter floats = type.isFloatingPoint() ? new FloatWriter() : null;
    for (long i = 0; i < count; i++) {
      switch (type) {
        case BOOL -> generator.writeBoolean(data.get() != 0);
        case INT8 -> generator.writeNumber(data.get());
        case INT16 -> generator.writeNumber(data.getShort());
        case INT32 -> generator.writeNumber(data.getInt());
        case INT64 -> generator.writeNumber(data.getLong());
        case UINT8 -> generator.writeNumber(data.get() & 0xFF);
        case UINT16 -> generator.writeNumber(data.getShort() & 0xFFFF);
        case UINT32 -> generator.writeNumber(data.getInt() & 0xFFFF_FFFFL);
        case UINT64 -> generator.writeNumber(Long.toUnsignedString(data.getLong()));
        case FP32 -> floats.write(generator, data.getFloat());
        case FP64 -> floats.write(generator, data.getDouble());
        case FP16 -> floats.write(generator, Float.float16ToFloat(data.getShort()));
        case BF16 -> floats.write(generator, fromBfloat16(data.getShort()));
        case BYTES -> {
          byte[] bytes = new byte[data.getInt()];
          data.get(bytes);
          generator.writeString(new String(bytes, StandardCharsets.UTF_8));
        }
      }
    }
  }

  /**
   * Writes {@code count} elements nested by {@code dims} (row-major), consuming them from {@code
   * data}.
   */
  public static void writeNested(
      JsonGenerator generator, DataType type, ByteBuffer data, long[] dims, int depth)
      throws IOException {
    if (depth == dims.length) {
      writeElements(generator, type, data, 1);
      return;
    }
    generator.writeStartArray();
    if (depth == dims.length - 1) {
      writeElements(generator, type, data, dims[depth]);
    } else {
      for (long i = 0; i < dims[depth]; i++) {
        writeNested(generator, type, data, dims, depth + 1);
      }
    }
    generator.writeEndArray();
  }
}
