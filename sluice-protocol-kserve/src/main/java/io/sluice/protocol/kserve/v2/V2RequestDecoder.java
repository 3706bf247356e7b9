package io.sluice.protocol.kserve.v2;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.http.json.JsonFactories;
import io.sluice.protocol.kserve.json.ByteSink;
import io.sluice.protocol.kserve.json.TensorJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Decodes a V2 REST inference body: JSON, JSON followed by binary tensor data (the binary
 * extension, {@code Inference-Header-Content-Length: n}), or the raw single-input form ({@code ...:
 * 0}). Streaming JSON: tensor data is written straight into little-endian bytes without building a
 * tree.
 */
public final class V2RequestDecoder {
  private static final JsonFactory JSON = JsonFactories.JSON;

  /** The most a tensor's data buffer is sized to before its elements arrive: 1 MiB. */
  private static final int PRESIZE_LIMIT = 1 << 20;

  private V2RequestDecoder() {}

  /**
   * Decodes a body.
   *
   * @param headerLength the {@code Inference-Header-Content-Length} value, or null when absent
   * @param metadata the model's metadata, fetched only for the raw single-input form
   */
  public static DecodedInferRequest decode(
      String modelName,
      String version,
      byte[] body,
      Integer headerLength,
      Supplier<ModelMetadata> metadata) {
    if (headerLength != null && headerLength == 0) {
      return decodeRaw(modelName, version, body, metadata.get());
    }
    int jsonLength = body.length;
    if (headerLength != null) {
      if (headerLength < 0 || headerLength > body.length) {
        throw new InvalidInputException(
            "Inference-Header-Content-Length is "
                + headerLength
                + " but the body has only "
                + body.length
                + " bytes");
      }
      jsonLength = headerLength;
    }
    if (jsonLength == 0) {
      throw new InvalidInputException(
          "the request body is empty; expected a JSON inference request");
    }
    try (JsonParser parser = JSON.createParser(body, 0, jsonLength)) {
      return new Reader(modelName, version, parser, body, jsonLength).read();
    } catch (JsonParseException e) {
      throw new InvalidInputException("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidInputException("unreadable request: " + e.getMessage());
    }
  }

  private static DecodedInferRequest decodeRaw(
      String modelName, String version, byte[] body, ModelMetadata metadata) {
    if (metadata.inputs().size() != 1) {
      throw new InvalidInputException(
          "a raw binary request (Inference-Header-Content-Length: 0) needs a model with"
              + " exactly one input; '"
              + modelName
              + "' has "
              + metadata.inputs().size());
    }
    TensorMetadata input = metadata.inputs().get(0);
    long[] shape = input.shape();
    ByteBuffer data = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
    if (input.datatype() == DataType.BYTES) {
      shape = new long[] {1};
      data =
          ByteBuffer.allocate(body.length + 4)
              .order(ByteOrder.LITTLE_ENDIAN)
              .putInt(body.length)
              .put(body)
              .flip();
    } else {
      int variable = -1;
      long fixed = input.datatype().elementSize();
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] < 0) {
          if (variable >= 0) {
            throw new InvalidInputException(
                "a raw binary request needs an input with at most one variable dimension;"
                    + " '"
                    + input.name()
                    + "' has shape "
                    + Arrays.toString(shape));
          }
          variable = i;
        } else {
          fixed *= shape[i];
        }
      }
      if (variable >= 0) {
        if (fixed == 0 || body.length % fixed != 0) {
          throw new InvalidInputException(
              "raw body of "
                  + body.length
                  + " bytes does not divide into "
                  + input.datatype()
                  + " elements of shape "
                  + Arrays.toString(shape));
        }
        shape[variable] = body.length / fixed;
      }
    }
    Tensor tensor = Tensor.of(input.name(), input.datatype(), shape, data);
    return new DecodedInferRequest(
        new InferRequest(modelName, version, null, Map.of(), List.of(tensor), null),
        OutputEncoding.BINARY);
  }

  /** One pass over the JSON header. */
  private static final class Reader {
    private final String modelName;
    private final String version;
    private final JsonParser parser;
    private final byte[] body;
    private int binaryOffset;

    private String id;
    private Map<String, Object> parameters = Map.of();
    private final List<Tensor> inputs = new ArrayList<>();
    private boolean sawInputs;
    private List<String> outputs;
    private final Map<String, Boolean> binaryPerOutput = new HashMap<>();

    Reader(String modelName, String version, JsonParser parser, byte[] body, int jsonLength) {
      this.modelName = modelName;
      this.version = version;
      this.parser = parser;
      this.body = body;
      this.binaryOffset = jsonLength;
    }

    DecodedInferRequest read() throws IOException {
      expect(parser.nextToken(), JsonToken.START_OBJECT, "the request body");
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "id" -> {
            expect(value, JsonToken.VALUE_STRING, "\"id\"");
            id = parser.getText();
          }
          case "parameters" -> parameters = readParameters("\"parameters\"");
          case "inputs" -> {
            expect(value, JsonToken.START_ARRAY, "\"inputs\"");
            sawInputs = true;
            while (parser.nextToken() != JsonToken.END_ARRAY) {
              inputs.add(readInput());
            }
          }
          case "outputs" -> {
            expect(value, JsonToken.START_ARRAY, "\"outputs\"");
            outputs = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
              readOutput();
            }
          }
          default -> parser.skipChildren();
        }
      }
      if (parser.nextToken() != null) {
        throw new InvalidInputException(
            "malformed JSON: unexpected content after the request object");
      }
      if (!sawInputs) {
        throw new InvalidInputException("the request has no \"inputs\"");
      }
      if (binaryOffset != body.length) {
        throw new InvalidInputException(
            "the binary section has "
                + (body.length - binaryOffset)
                + " bytes that no input's binary_data_size accounts for");
      }
      boolean binaryDefault = Boolean.TRUE.equals(parameters.get("binary_data_output"));
      Map<String, Object> requestParameters = new LinkedHashMap<>(parameters);
      requestParameters.remove("binary_data_output");
      return new DecodedInferRequest(
          new InferRequest(modelName, version, id, requestParameters, inputs, outputs),
          new OutputEncoding(binaryDefault, binaryPerOutput));
    }

    private Tensor readInput() throws IOException {
      expect(parser.currentToken(), JsonToken.START_OBJECT, "each element of \"inputs\"");
      String name = null;
      DataType datatype = null;
      String datatypeName = null;
      long[] shape = null;
      Map<String, Object> inputParameters = Map.of();
      TokenBuffer deferredData = null;
      ByteSink data = null;
      long count = -1;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "name" -> {
            expect(value, JsonToken.VALUE_STRING, "input \"name\"");
            name = parser.getText();
          }
          case "datatype" -> {
            expect(value, JsonToken.VALUE_STRING, "input \"datatype\"");
            datatypeName = parser.getText();
            datatype = DataType.fromWireName(datatypeName).orElse(null);
          }
          case "shape" -> shape = readShape(name);
          case "parameters" -> inputParameters = readParameters("input parameters");
          case "data" -> {
            if (datatype != null) {
              data = new ByteSink(expectedBytes(shape, datatype));
              count = TensorJson.readData(parser, label(name), datatype, data);
            } else {
              deferredData = new TokenBuffer(parser);
              deferredData.copyCurrentStructure(parser);
            }
          }
          default -> parser.skipChildren();
        }
      }
      if (name == null) {
        throw new InvalidInputException("an input has no \"name\"");
      }
      if (datatypeName == null) {
        throw new InvalidInputException("input '" + name + "' has no \"datatype\"");
      }
      if (datatype == null) {
        throw new InvalidInputException(
            "input '"
                + name
                + "' has unknown datatype '"
                + datatypeName
                + "'; expected one of "
                + Arrays.toString(DataType.values()));
      }
      if (shape == null) {
        throw new InvalidInputException("input '" + name + "' has no \"shape\"");
      }
      if (deferredData != null) {
        try (JsonParser replay = deferredData.asParser()) {
          replay.nextToken();
          data = new ByteSink(expectedBytes(shape, datatype));
          count = TensorJson.readData(replay, name, datatype, data);
        }
      }
      Object binarySize = inputParameters.get("binary_data_size");
      if (binarySize != null) {
        if (data != null) {
          throw new InvalidInputException(
              "input '" + name + "' has both \"data\" and binary_data_size");
        }
        return binaryInput(name, datatype, shape, binarySize);
      }
      if (data == null) {
        throw new InvalidInputException(
            "input '" + name + "' has no \"data\" and no binary_data_size parameter");
      }
      long expected = Tensor.elementCount(name, shape);
      if (count != expected) {
        throw new InvalidInputException(
            "input '"
                + name
                + "' has shape "
                + Arrays.toString(shape)
                + ", which needs "
                + expected
                + " elements, but \"data\" holds "
                + count);
      }
      return Tensor.of(name, datatype, shape, data.toBuffer());
    }

    private Tensor binaryInput(String name, DataType datatype, long[] shape, Object binarySize) {
      if (!(binarySize instanceof Long size) || size < 0) {
        throw new InvalidInputException(
            "binary_data_size of input '" + name + "' must be a non-negative integer");
      }
      if (size > body.length - binaryOffset) {
        throw new InvalidInputException(
            "input '"
                + name
                + "' declares binary_data_size "
                + size
                + " but only "
                + (body.length - binaryOffset)
                + " bytes of binary data remain");
      }
      ByteBuffer slice =
          ByteBuffer.wrap(body, binaryOffset, size.intValue())
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      binaryOffset += size.intValue();
      return Tensor.of(name, datatype, shape, slice);
    }

    private void readOutput() throws IOException {
      expect(parser.currentToken(), JsonToken.START_OBJECT, "each element of \"outputs\"");
      String name = null;
      Map<String, Object> outputParameters = Map.of();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String field = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (field) {
          case "name" -> {
            expect(value, JsonToken.VALUE_STRING, "output \"name\"");
            name = parser.getText();
          }
          case "parameters" -> outputParameters = readParameters("output parameters");
          default -> parser.skipChildren();
        }
      }
      if (name == null) {
        throw new InvalidInputException("a requested output has no \"name\"");
      }
      outputs.add(name);
      Object binary = outputParameters.get("binary_data");
      if (binary != null) {
        if (!(binary instanceof Boolean flag)) {
          throw new InvalidInputException(
              "binary_data of output '" + name + "' must be true or false");
        }
        binaryPerOutput.put(name, flag);
      }
    }

    /**
     * The bytes a tensor of {@code shape} takes, when the shape came first (as clients write it),
     * so that its data is read without growing the buffer; at most {@link #PRESIZE_LIMIT}, since
     * the data may never come.
     */
    private static int expectedBytes(long[] shape, DataType type) {
      if (shape == null || !type.isFixedSize()) {
        return 64;
      }
      long bytes = type.elementSize();
      for (long dim : shape) {
        if (dim < 0 || dim > PRESIZE_LIMIT) {
          return dim < 0 ? 64 : PRESIZE_LIMIT;
        }
        bytes *= dim;
        if (bytes > PRESIZE_LIMIT) {
          return PRESIZE_LIMIT;
        }
      }
      return (int) bytes;
    }

    private long[] readShape(String name) throws IOException {
      expect(
          parser.currentToken(), JsonToken.START_ARRAY, "\"shape\" of input '" + label(name) + "'");
      long[] dims = new long[8];
      int rank = 0;
      JsonToken token;
      while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
        if (token != JsonToken.VALUE_NUMBER_INT
            || parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            || parser.getLongValue() < 0) {
          throw new InvalidInputException(
              "\"shape\" of input '"
                  + label(name)
                  + "' must hold non-negative integers, found "
                  + parser.getText());
        }
        if (rank == dims.length) {
          dims = Arrays.copyOf(dims, rank * 2);
        }
        dims[rank++] = parser.getLongValue();
      }
      return Arrays.copyOf(dims, rank);
    }

    private Map<String, Object> readParameters(String what) throws IOException {
      expect(parser.currentToken(), JsonToken.START_OBJECT, what);
      Map<String, Object> map = new LinkedHashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String key = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (value) {
          case VALUE_STRING -> map.put(key, parser.getText());
          case VALUE_NUMBER_INT -> map.put(key, parser.getLongValue());
          case VALUE_NUMBER_FLOAT -> map.put(key, parser.getDoubleValue());
          case VALUE_TRUE, VALUE_FALSE -> map.put(key, value == JsonToken.VALUE_TRUE);
          case VALUE_NULL -> {}
          default ->
              throw new InvalidInputException(
                  "parameter '" + key + "' in " + what + " must be a string, number or boolean");
        }
      }
      return map;
    }

    private static String label(String name) {
      return name == null ? "?" : name;
    }

    private static void expect(JsonToken actual, JsonToken expected, String what) {
      if (actual != expected) {
        String want =
            switch (expected) {
              case START_OBJECT -> "an object";
              case START_ARRAY -> "an array";
              case VALUE_STRING -> "a string";
              default -> expected.toString();
            };
        throw new InvalidInputException(
            what
                + " must be "
                + want
                + (actual == null ? ", but the JSON ended" : ", found " + describe(actual)));
      }
    }

    private static String describe(JsonToken token) {
      return switch (token) {
        case START_OBJECT -> "an object";
        case START_ARRAY -> "an array";
        case VALUE_STRING -> "a string";
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
        case VALUE_TRUE, VALUE_FALSE -> "a boolean";
        case VALUE_NULL -> "null";
        default -> token.toString();
      };
    }
  }
}
