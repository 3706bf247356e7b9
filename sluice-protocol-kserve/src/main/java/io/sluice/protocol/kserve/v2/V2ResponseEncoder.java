package io.sluice.protocol.kserve.v2;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.api.InferResponse;
import io.sluice.api.Tensor;
import io.sluice.http.BufferOutputStream;
import io.sluice.http.json.JsonFactories;
import io.sluice.protocol.kserve.json.TensorJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes a V2 REST inference response: outputs as flat JSON {@code data}, or as binary tensor data
 * after the JSON with a {@code binary_data_size} parameter, as each output's encoding says. Only
 * the fields Triton's strict clients accept are written.
 */
public final class V2ResponseEncoder {
  private static final JsonFactory JSON = JsonFactories.JSON;

  private V2ResponseEncoder() {}

  public static EncodedBody encode(InferResponse response, OutputEncoding encoding) {
    // written straight into the buffer the response sends: no copy between builders
    BufferOutputStream out = new BufferOutputStream(estimatedSize(response, encoding));
    List<Tensor> binary = new ArrayList<>();
    try (JsonGenerator json = JSON.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("model_name", response.modelName());
      if (response.modelVersion() != null) {
        json.writeStringField("model_version", response.modelVersion());
      }
      if (response.id() != null) {
        json.writeStringField("id", response.id());
      }
      json.writeArrayFieldStart("outputs");
      for (Tensor output : response.outputs()) {
        json.writeStartObject();
        json.writeStringField("name", output.name());
        json.writeStringField("datatype", output.datatype().name());
        json.writeArrayFieldStart("shape");
        for (long dim : output.shape()) {
          json.writeNumber(dim);
        }
        json.writeEndArray();
        if (encoding.binary(output.name())) {
          json.writeObjectFieldStart("parameters");
          json.writeNumberField("binary_data_size", output.byteSize());
          json.writeEndObject();
          binary.add(output);
        } else {
          json.writeFieldName("data");
          TensorJson.writeFlat(json, output);
        }
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int jsonLength = out.size();
    for (Tensor tensor : binary) {
      out.write(tensor.data());
    }
    return new EncodedBody(out.buffer(), jsonLength, !binary.isEmpty());
  }

  /** About what the body takes (a float's text is at most 15 bytes and usually 10 or so). */
  private static int estimatedSize(InferResponse response, OutputEncoding encoding) {
    long size = 128;
    for (Tensor output : response.outputs()) {
      size +=
          96
              + (encoding.binary(output.name())
                  ? output.byteSize()
                  : Math.min(output.elementCount(), 1 << 20) * 12L);
    }
    return (int) Math.min(size, 64L << 20);
  }
}
