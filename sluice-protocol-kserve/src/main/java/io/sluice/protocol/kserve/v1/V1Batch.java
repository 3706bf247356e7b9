package io.sluice.protocol.kserve.v1;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.engine.client.EngineClient;
import io.sluice.protocol.kserve.json.ByteSink;
import io.sluice.protocol.kserve.json.TensorJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * V1 {@code instances} turned into tensor requests. A model with one input takes each instance as
 * that input's value; a model with several takes objects keyed by input name. When the model's
 * inputs have a leading batch dimension the instances are stacked into one request; when an
 * instance already has the input's full rank, each instance runs as its own request. The answer is
 * one prediction per instance: the output's row, or an object of rows when the model has several
 * outputs.
 */
final class V1Batch {
  private final List<InferRequest> requests;
  private final boolean stacked;
  private final int instanceCount;

  private V1Batch(List<InferRequest> requests, boolean stacked, int instanceCount) {
    this.requests = requests;
    this.stacked = stacked;
    this.instanceCount = instanceCount;
  }

  /**
   * The one request of a batch of one stacked instance (shape [1, ...]), as the explainer takes it.
   */
  InferRequest single() {
    if (!stacked || instanceCount != 1) {
      throw new InvalidInputException(
          "the explainer needs a model whose inputs take a batch dimension");
    }
    return requests.getFirst();
  }

  static V1Batch of(ModelMetadata metadata, JsonNode instances) {
    if (!instances.isArray() || instances.isEmpty()) {
      throw new InvalidInputException("\"instances\" must be a non-empty array");
    }
    if (metadata.inputs().isEmpty()) {
      throw new InvalidInputException("model '" + metadata.name() + "' takes no inputs");
    }
    int count = instances.size();
    List<TensorMetadata> inputs = metadata.inputs();
    List<List<JsonNode>> valuesPerInput = new ArrayList<>();
    for (TensorMetadata input : inputs) {
      List<JsonNode> values = new ArrayList<>(count);
      for (JsonNode instance : instances) {
        values.add(valueFor(input, inputs.size(), instance));
      }
      valuesPerInput.add(values);
    }
    int instanceRank = nestedShape(valuesPerInput.get(0).get(0)).length;
    boolean stacked = inputs.get(0).shape().length == instanceRank + 1;
    if (stacked) {
      List<Tensor> tensors = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        tensors.add(tensor(inputs.get(i), valuesPerInput.get(i), true));
      }
      return new V1Batch(
          List.of(new InferRequest(metadata.name(), null, null, Map.of(), tensors, null)),
          true,
          count);
    }
    List<InferRequest> requests = new ArrayList<>(count);
    for (int row = 0; row < count; row++) {
      List<Tensor> tensors = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        tensors.add(tensor(inputs.get(i), List.of(valuesPerInput.get(i).get(row)), false));
      }
      requests.add(new InferRequest(metadata.name(), null, null, Map.of(), tensors, null));
    }
    return new V1Batch(requests, false, count);
  }

  private static JsonNode valueFor(TensorMetadata input, int inputCount, JsonNode instance) {
    if (inputCount == 1 && (!instance.isObject() || isBase64(instance))) {
      return instance;
    }
    if (!instance.isObject()) {
      throw new InvalidInputException(
          "the model has "
              + inputCount
              + " inputs, so each instance must be an object"
              + " keyed by input name");
    }
    JsonNode value = instance.get(input.name());
    if (value == null) {
      throw new InvalidInputException("an instance lacks input '" + input.name() + "'");
    }
    return value;
  }

  private static Tensor tensor(TensorMetadata input, List<JsonNode> values, boolean stacked) {
    long[] instanceShape = nestedShape(values.get(0));
    ByteSink sink = new ByteSink(64);
    for (JsonNode value : values) {
      long[] shape = nestedShape(value);
      if (!Arrays.equals(shape, instanceShape)) {
        throw new InvalidInputException(
            "instances of input '"
                + input.name()
                + "' differ in shape: "
                + Arrays.toString(instanceShape)
                + " and "
                + Arrays.toString(shape));
      }
      read(value, input, sink);
    }
    long[] shape = instanceShape;
    if (stacked) {
      shape = new long[instanceShape.length + 1];
      shape[0] = values.size();
      System.arraycopy(instanceShape, 0, shape, 1, instanceShape.length);
    }
    return Tensor.of(input.name(), input.datatype(), shape, sink.toBuffer());
  }

  /**
   * TF Serving's and KServe's binary convention in JSON: {@code {"b64": "..."}} for one BYTES
   * element.
   */
  private static boolean isBase64(JsonNode value) {
    return value.isObject() && value.size() == 1 && value.path("b64").isTextual();
  }

  private static void read(JsonNode value, TensorMetadata input, ByteSink sink) {
    if (input.datatype() == DataType.BYTES && isBase64(value)) {
      byte[] bytes;
      try {
        bytes = Base64.getMimeDecoder().decode(value.get("b64").asText());
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(
            "a \"b64\" value of input '" + input.name() + "' is not base64: " + e.getMessage());
      }
      sink.put4(bytes.length);
      sink.put(bytes);
      return;
    }
    if (input.datatype() == DataType.BYTES && value.isArray()) {
      for (JsonNode element : value) {
        read(element, input, sink);
      }
      return;
    }
    try (JsonParser parser = value.traverse()) {
      parser.nextToken();
      TensorJson.readData(parser, input.name(), input.datatype(), sink);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The shape of a nested JSON array; ragged arrays are rejected. */
  private static long[] nestedShape(JsonNode value) {
    List<Long> dims = new ArrayList<>();
    JsonNode current = value;
    while (current.isArray()) {
      dims.add((long) current.size());
      if (current.isEmpty()) {
        break;
      }
      current = current.get(0);
    }
    long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
    checkRectangular(value, shape, 0);
    return shape;
  }

  private static void checkRectangular(JsonNode value, long[] shape, int depth) {
    if (depth == shape.length) {
      if (value.isArray()) {
        throw new InvalidInputException("instance data is ragged: arrays nest to different depths");
      }
      return;
    }
    if (!value.isArray() || value.size() != shape[depth]) {
      throw new InvalidInputException(
          "instance data is ragged: expected " + shape[depth] + " elements at depth " + depth);
    }
    for (JsonNode child : value) {
      checkRectangular(child, shape, depth + 1);
    }
  }

  CompletableFuture<V1Batch.Predictions> run(EngineClient engine, String pinnedRevision) {
    List<CompletableFuture<InferResponse>> calls =
        requests.stream()
            .map(request -> engine.infer(request.withRevision(pinnedRevision)))
            .toList();
    return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
        .thenApply(
            ignored -> new Predictions(calls.stream().map(CompletableFuture::join).toList()));
  }

  /** The answers, written as {@code {"predictions": [...]}}. */
  final class Predictions {
    private final List<InferResponse> responses;

    Predictions(List<InferResponse> responses) {
      this.responses = responses;
    }

    void write(JsonGenerator json) throws IOException {
      json.writeStartObject();
      json.writeArrayFieldStart("predictions");
      List<String> outputNames = responses.get(0).outputs().stream().map(Tensor::name).toList();
      if (stacked) {
        List<ByteBuffer> cursors = responses.get(0).outputs().stream().map(Tensor::data).toList();
        for (int row = 0; row < instanceCount; row++) {
          writeRow(json, outputNames, responses.get(0).outputs(), cursors, true);
        }
      } else {
        for (InferResponse response : responses) {
          List<ByteBuffer> cursors = response.outputs().stream().map(Tensor::data).toList();
          writeRow(json, outputNames, response.outputs(), cursors, false);
        }
      }
      json.writeEndArray();
      json.writeEndObject();
    }

    private void writeRow(
        JsonGenerator json,
        List<String> names,
        List<Tensor> outputs,
        List<ByteBuffer> cursors,
        boolean dropLeadingDim)
        throws IOException {
      boolean keyed = outputs.size() > 1;
      if (keyed) {
        json.writeStartObject();
      }
      for (int i = 0; i < outputs.size(); i++) {
        Tensor output = outputs.get(i);
        long[] shape = output.shape();
        long[] rowShape =
            dropLeadingDim && shape.length > 0 ? Arrays.copyOfRange(shape, 1, shape.length) : shape;
        if (keyed) {
          json.writeFieldName(names.get(i));
        }
        TensorJson.writeNested(json, output.datatype(), cursors.get(i), rowShape, 0);
      }
      if (keyed) {
        json.writeEndObject();
      }
    }
  }
}
