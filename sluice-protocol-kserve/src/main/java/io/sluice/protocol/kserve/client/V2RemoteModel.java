package io.sluice.protocol.kserve.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.ReplicaUnavailableException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.http.json.JsonFactories;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.SupervisedModel;
import io.sluice.spi.TraceContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One upstream V2 model used as a replica: metadata at connect, binary tensor data for every call.
 */
final class V2RemoteModel implements SupervisedModel {
  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactories.JSON);

  private final HttpClient http;
  private final URI modelUri;
  private final String upstreamName;
  private final ModelMetadata metadata;

  private V2RemoteModel(
      HttpClient http, URI modelUri, String upstreamName, ModelMetadata metadata) {
    this.http = http;
    this.modelUri = modelUri;
    this.upstreamName = upstreamName;
    this.metadata = metadata;
  }

  static V2RemoteModel connect(HttpClient http, URI endpoint, String upstreamName, String localName)
      throws ModelLoadException {
    String base = endpoint.toString().replaceAll("/+$", "");
    URI modelUri =
        URI.create(base + "/v2/models/" + URLEncoder.encode(upstreamName, StandardCharsets.UTF_8));
    HttpResponse<String> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(modelUri).timeout(Duration.ofSeconds(30)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ModelLoadException(
          "upstream " + endpoint + " is unreachable: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while reaching " + endpoint);
    }
    if (response.statusCode() != 200) {
      throw new ModelLoadException(
          "upstream " + modelUri + " answered " + response.statusCode() + ": " + response.body());
    }
    try {
      JsonNode json = MAPPER.readTree(response.body());
      List<String> versions = new ArrayList<>();
      json.path("versions").forEach(v -> versions.add(v.asText()));
      ModelMetadata metadata =
          new ModelMetadata(
              localName,
              versions,
              "remote:" + json.path("platform").asText(),
              tensors(json.path("inputs")),
              tensors(json.path("outputs")));
      return new V2RemoteModel(http, modelUri, upstreamName, metadata);
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(
          "upstream " + modelUri + " sent unreadable metadata: " + e.getMessage(), e);
    }
  }

  private static List<TensorMetadata> tensors(JsonNode array) {
    List<TensorMetadata> tensors = new ArrayList<>();
    for (JsonNode tensor : array) {
      long[] shape = new long[tensor.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = tensor.path("shape").get(i).asLong();
      }
      DataType type =
          DataType.fromWireName(tensor.path("datatype").asText())
              .orElseThrow(
                  () ->
                      new IllegalArgumentException("unknown datatype " + tensor.path("datatype")));
      tensors.add(new TensorMetadata(tensor.path("name").asText(), type, shape));
    }
    return tensors;
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    ObjectNode header = MAPPER.createObjectNode();
    ArrayNode in = header.putArray("inputs");
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (Tensor input : inputs) {
      ObjectNode node = in.addObject();
      node.put("name", input.name());
      node.put("datatype", input.datatype().name());
      ArrayNode shape = node.putArray("shape");
      for (long dim : input.shape()) {
        shape.add(dim);
      }
      node.putObject("parameters").put("binary_data_size", input.byteSize());
    }
    ArrayNode out = header.putArray("outputs");
    for (String name : outputNames) {
      out.addObject().put("name", name).putObject("parameters").put("binary_data", true);
    }
    byte[] json;
    try {
      json = MAPPER.writeValueAsBytes(header);
      body.write(json);
      for (Tensor input : inputs) {
        ByteBuffer data = input.data();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        body.write(bytes);
      }
    } catch (IOException e) {
      throw new InferenceFailedException(
          "cannot encode the request for the upstream: " + e.getMessage());
    }
    HttpResponse<byte[]> response;
    try {
      response =
          http.send(
              TraceContext.propagate(HttpRequest.newBuilder(URI.create(modelUri + "/infer")))
                  .header("Inference-Header-Content-Length", Integer.toString(json.length))
                  .header("Content-Type", "application/octet-stream")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new ReplicaUnavailableException(
          "upstream "
              + modelUri.getAuthority()
              + " of '"
              + metadata.name()
              + "' is unreachable: "
              + e,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InferenceFailedException("interrupted while waiting for the upstream");
    }
    return decode(response);
  }

  private List<Tensor> decode(HttpResponse<byte[]> response) {
    byte[] bytes = response.body();
    if (response.statusCode() != 200) {
      String message = errorMessage(bytes);
      switch (response.statusCode()) {
        case 400 -> throw new InvalidInputException(message);
        case 503, 429 -> throw new ModelNotReadyException("upstream: " + message);
        default ->
            throw new InferenceFailedException(
                "upstream answered " + response.statusCode() + ": " + message);
      }
    }
    int jsonLength =
        response
            .headers()
            .firstValue("Inference-Header-Content-Length")
            .map(Integer::parseInt)
            .orElse(bytes.length);
    try {
      JsonNode header = MAPPER.readTree(bytes, 0, jsonLength);
      List<Tensor> outputs = new ArrayList<>();
      int offset = jsonLength;
      for (JsonNode output : header.path("outputs")) {
        String name = output.path("name").asText();
        DataType type =
            DataType.fromWireName(output.path("datatype").asText())
                .orElseThrow(
                    () -> new InferenceFailedException("upstream sent an unknown datatype"));
        long[] shape = new long[output.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = output.path("shape").get(i).asLong();
        }
        int size = output.path("parameters").path("binary_data_size").asInt(-1);
        if (size < 0 || offset + size > bytes.length) {
          throw new InferenceFailedException(
              "upstream output '" + name + "' came without binary data");
        }
        outputs.add(
            Tensor.of(
                name,
                type,
                shape,
                ByteBuffer.wrap(bytes, offset, size).slice().order(ByteOrder.LITTLE_ENDIAN)));
        offset += size;
      }
      return outputs;
    } catch (IOException e) {
      throw new InferenceFailedException("upstream sent an unreadable answer: " + e.getMessage());
    }
  }

  private static String errorMessage(byte[] body) {
    try {
      return MAPPER.readTree(body).path("error").asText(new String(body, StandardCharsets.UTF_8));
    } catch (IOException e) {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  @Override
  public boolean ping(Duration timeout) {
    try {
      return http.send(
                  HttpRequest.newBuilder(URI.create(modelUri + "/ready"))
                      .timeout(timeout)
                      .GET()
                      .build(),
                  HttpResponse.BodyHandlers.discarding())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public void close() {}

  @Override
  public String toString() {
    return "remote " + upstreamName + " at " + modelUri;
  }
}
