package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.sluice.api.DataType;
import io.sluice.api.Tensor;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelInferResponse;
import io.sluice.testkit.TensorDiff;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every V2 datatype, with its extreme values, goes through every encoding and comes back bit for
 * bit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DatatypeRoundTripTest {
  private TestServer server;
  private final List<Tensor> tensors = samples();

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String all =
        tensors.stream()
            .map(t -> t.name() + ":" + t.datatype() + ":-1")
            .collect(Collectors.joining(";"));
    String typed =
        tensors.stream()
            .filter(t -> t.datatype() != DataType.FP16 && t.datatype() != DataType.BF16)
            .map(t -> t.name() + ":" + t.datatype() + ":-1")
            .collect(Collectors.joining(";"));
    String placeholder =
        java.nio.file.Files.writeString(dir.resolve("echo.model"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        applications:
          - name: echo
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s', settings: {inputs: '%s'}}
              - {name: echo-typed, runtime: test-echo, storageUri: '%s', settings: {inputs: '%s'}}
        """
                .formatted(placeholder, all, placeholder, typed));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static List<Tensor> samples() {
    List<Tensor> samples = new ArrayList<>();
    samples.add(tensor("bool", DataType.BOOL, 3, b -> b.put((byte) 1).put((byte) 0).put((byte) 1)));
    samples.add(
        tensor("uint8", DataType.UINT8, 3, b -> b.put((byte) 0).put((byte) 127).put((byte) 255)));
    samples.add(
        tensor("uint16", DataType.UINT16, 2, b -> b.putShort((short) 0).putShort((short) 0xFFFF)));
    samples.add(tensor("uint32", DataType.UINT32, 2, b -> b.putInt(1).putInt(0xFFFFFFFF)));
    samples.add(tensor("uint64", DataType.UINT64, 2, b -> b.putLong(7).putLong(-1L)));
    samples.add(tensor("int8", DataType.INT8, 2, b -> b.put(Byte.MIN_VALUE).put(Byte.MAX_VALUE)));
    samples.add(
        tensor(
            "int16",
            DataType.INT16,
            2,
            b -> b.putShort(Short.MIN_VALUE).putShort(Short.MAX_VALUE)));
    samples.add(
        tensor(
            "int32",
            DataType.INT32,
            2,
            b -> b.putInt(Integer.MIN_VALUE).putInt(Integer.MAX_VALUE)));
    samples.add(
        tensor("int64", DataType.INT64, 2, b -> b.putLong(Long.MIN_VALUE).putLong(Long.MAX_VALUE)));
    samples.add(
        tensor(
            "fp16",
            DataType.FP16,
            3,
            b ->
                b.putShort(Float.floatToFloat16(1.5f))
                    .putShort(Float.floatToFloat16(-65504f))
                    .putShort(Float.floatToFloat16(0.000061035156f))));
    samples.add(
        tensor(
            "fp32",
            DataType.FP32,
            5,
            b ->
                b.putFloat(1e-8f)
                    .putFloat(-3.4028235e38f)
                    .putFloat(Float.NaN)
                    .putFloat(Float.POSITIVE_INFINITY)
                    .putFloat(Float.NEGATIVE_INFINITY)));
    samples.add(
        tensor(
            "fp64",
            DataType.FP64,
            3,
            b -> b.putDouble(Math.PI).putDouble(Double.MIN_VALUE).putDouble(-1e300)));
    samples.add(
        tensor(
            "bf16",
            DataType.BF16,
            2,
            b ->
                b.putShort((short) (Float.floatToRawIntBits(1.0f) >>> 16))
                    .putShort((short) (Float.floatToRawIntBits(-2.5f) >>> 16))));
    samples.add(
        Tensor.ofBytes(
            "bytes",
            new long[] {3},
            List.of(
                "hello".getBytes(StandardCharsets.UTF_8),
                "".getBytes(StandardCharsets.UTF_8),
                "naïve ☃".getBytes(StandardCharsets.UTF_8))));
    return samples;
  }

  private interface Filler {
    void fill(ByteBuffer buffer);
  }

  private static Tensor tensor(String name, DataType type, int count, Filler filler) {
    ByteBuffer buffer =
        ByteBuffer.allocate(count * type.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    filler.fill(buffer);
    return Tensor.of(name, type, new long[] {count}, buffer.flip());
  }

  @Test
  void everyDatatypeCoversTheFourteenOfTheProtocol() {
    assertThat(tensors.stream().map(Tensor::datatype)).containsExactlyInAnyOrder(DataType.values());
  }

  @Test
  void everyDatatypeRoundTripsThroughJson() throws Exception {
    String body =
        "{\"id\":\"rt\",\"inputs\":["
            + tensors.stream().map(TensorTestSupport::jsonInput).collect(Collectors.joining(","))
            + "]}";
    HttpResponse<String> response = server.post("/v2/models/echo/infer", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode json = MAPPER.readTree(response.body());
    assertThat(json.get("id").asText()).isEqualTo("rt");
    List<Tensor> outputs = new ArrayList<>();
    json.get("outputs").forEach(output -> outputs.add(TensorTestSupport.fromJsonOutput(output)));
    assertSameBits(outputs);
  }

  @Test
  void everyDatatypeRoundTripsThroughBinaryInBinaryOut() throws Exception {
    assertSameBits(binaryRoundTrip(true, "{\"binary_data_output\":true}"));
  }

  @Test
  void perOutputBinaryFlagMixesJsonAndBinaryOutputs() throws Exception {
    StringBuilder outputs = new StringBuilder();
    for (int i = 0; i < tensors.size(); i++) {
      outputs
          .append(i == 0 ? "" : ",")
          .append("{\"name\":\"")
          .append(tensors.get(i).name())
          .append("\",\"parameters\":{\"binary_data\":")
          .append(i % 2 == 0)
          .append("}}");
    }
    assertSameBits(binaryRoundTrip(true, "{}", outputs.toString()));
  }

  @Test
  void everyDatatypeRoundTripsThroughGrpcTypedContentsAndRawOutputs() {
    // Only FP16 and BF16 lack a typed contents field; they go raw in the next test.
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName("echo-typed");
    List<Tensor> typedOnly = new ArrayList<>();
    for (Tensor tensor : tensors) {
      TensorTestSupport.grpcTypedInput(tensor)
          .ifPresent(
              input -> {
                request.addInputs(input);
                typedOnly.add(tensor);
              });
    }
    request.addAllOutputs(
        typedOnly.stream()
            .map(
                t ->
                    ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                        .setName(t.name())
                        .build())
            .toList());
    assertThat(typedOnly).hasSize(12);
    assertThat(grpcOutputs(server.grpc().modelInfer(request.build())))
        .satisfies(
            outputs -> {
              for (int i = 0; i < typedOnly.size(); i++) {
                assertThat(TensorDiff.mismatch(typedOnly.get(i), outputs.get(i))).isNull();
                assertThat(TensorTestSupport.bytes(outputs.get(i)))
                    .isEqualTo(TensorTestSupport.bytes(typedOnly.get(i)));
              }
            });
  }

  @Test
  void everyDatatypeRoundTripsThroughGrpcRawContents() {
    ModelInferRequest.Builder request =
        ModelInferRequest.newBuilder().setModelName("echo").setId("raw");
    for (Tensor tensor : tensors) {
      request.addInputs(TensorTestSupport.grpcInputHeader(tensor));
      request.addRawInputContents(ByteString.copyFrom(TensorTestSupport.bytes(tensor)));
    }
    ModelInferResponse response = server.grpc().modelInfer(request.build());
    assertThat(response.getId()).isEqualTo("raw");
    assertSameBits(grpcOutputs(response));
  }

  private List<Tensor> binaryRoundTrip(boolean binaryInputs, String parameters) throws Exception {
    return binaryRoundTrip(binaryInputs, parameters, null);
  }

  private List<Tensor> binaryRoundTrip(boolean binaryInputs, String parameters, String outputs)
      throws Exception {
    StringBuilder header = new StringBuilder("{\"inputs\":[");
    ByteBuffer binary = ByteBuffer.allocate(tensors.stream().mapToInt(Tensor::byteSize).sum());
    for (int i = 0; i < tensors.size(); i++) {
      Tensor tensor = tensors.get(i);
      header
          .append(i == 0 ? "" : ",")
          .append("{\"name\":\"")
          .append(tensor.name())
          .append("\",\"shape\":")
          .append(Arrays.toString(tensor.shape()))
          .append(",\"datatype\":\"")
          .append(tensor.datatype())
          .append("\",\"parameters\":{\"binary_data_size\":")
          .append(tensor.byteSize())
          .append("}}");
      binary.put(tensor.data());
    }
    header.append("],\"parameters\":").append(parameters);
    if (outputs != null) {
      header.append(",\"outputs\":[").append(outputs).append("]");
    }
    header.append("}");
    byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
    byte[] body =
        ByteBuffer.allocate(json.length + binary.capacity()).put(json).put(binary.array()).array();
    HttpResponse<byte[]> response =
        server.postBytes(
            "/v2/models/echo/infer",
            body,
            "Inference-Header-Content-Length",
            Integer.toString(json.length));
    assertThat(response.statusCode())
        .as(new String(response.body(), StandardCharsets.UTF_8))
        .isEqualTo(200);
    int jsonLength =
        Integer.parseInt(
            response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    JsonNode reply =
        MAPPER.readTree(new String(response.body(), 0, jsonLength, StandardCharsets.UTF_8));
    int offset = jsonLength;
    List<Tensor> result = new ArrayList<>();
    for (JsonNode output : reply.get("outputs")) {
      if (output.has("data")) {
        assertThat(output.has("parameters")).isFalse();
        result.add(TensorTestSupport.fromJsonOutput(output));
        continue;
      }
      int size = output.get("parameters").get("binary_data_size").asInt();
      result.add(
          Tensor.of(
              output.get("name").asText(),
              DataType.valueOf(output.get("datatype").asText()),
              TensorTestSupport.shape(output.get("shape")),
              ByteBuffer.wrap(response.body(), offset, size).slice()));
      offset += size;
    }
    assertThat(offset).isEqualTo(response.body().length);
    return result;
  }

  private static List<Tensor> grpcOutputs(ModelInferResponse response) {
    assertThat(response.getRawOutputContentsCount()).isEqualTo(response.getOutputsCount());
    List<Tensor> outputs = new ArrayList<>();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor output = response.getOutputs(i);
      assertThat(output.hasContents()).isFalse();
      outputs.add(
          Tensor.of(
              output.getName(),
              DataType.valueOf(output.getDatatype()),
              output.getShapeList().stream().mapToLong(Long::longValue).toArray(),
              response.getRawOutputContents(i).asReadOnlyByteBuffer()));
    }
    return outputs;
  }

  private void assertSameBits(List<Tensor> outputs) {
    assertThat(outputs).hasSameSizeAs(tensors);
    for (int i = 0; i < tensors.size(); i++) {
      Tensor expected = tensors.get(i);
      Tensor actual = outputs.get(i);
      assertThat(actual.name()).isEqualTo(expected.name());
      assertThat(actual.datatype()).isEqualTo(expected.datatype());
      assertThat(actual.shape()).isEqualTo(expected.shape());
      assertThat(TensorTestSupport.bytes(actual))
          .as(expected.name())
          .isEqualTo(TensorTestSupport.bytes(expected));
    }
  }
}
