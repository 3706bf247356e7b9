package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.sluice.api.Tensor;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelInferResponse;
import io.sluice.testkit.OnnxTestData;
import io.sluice.testkit.TensorDiff;
import java.net.http.HttpResponse;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * V2 conformance against the golden tensors of ONNX's backend test data (Debian libonnx-testdata):
 * every case but the listed exclusions ({@link OnnxTestData#exclusions}, each with its reason) is
 * served by one Sluice server and must reproduce its golden outputs through REST JSON, REST binary
 * and gRPC. The oracle is the test data, never the runtime under test: a case that stops loading or
 * answers differently fails.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxConformanceTest {
  /**
   * What libonnx-testdata 1.14-1.20 less the exclusions serves (948 on Debian's 1.20); a large drop
   * means lost cases.
   */
  private static final int AT_LEAST = 900;

  private final List<OnnxTestData.Case> corpus = new ArrayList<>();
  private final Map<String, String> excluded = new TreeMap<>();
  private TestServer server;

  @BeforeAll
  void startServerWithEveryReproducibleModel(@TempDir Path dir) throws Exception {
    require(
        Files.isDirectory(OnnxTestData.ROOT),
        "libonnx-testdata is not installed (.ci/run installs it)");
    Map<String, String> exclusions = OnnxTestData.exclusions();
    for (String group : OnnxTestData.GROUPS) {
      for (OnnxTestData.Case testCase : OnnxTestData.cases(group)) {
        String key = group + "/" + testCase.name();
        if (exclusions.containsKey(key)) {
          excluded.put(key, exclusions.get(key));
        } else {
          corpus.add(testCase);
        }
      }
    }
    StringBuilder yaml =
        new StringBuilder(
            "applications:\n  - name: onnx\n    routePrefix: /onnx\n    deployments:\n");
    for (OnnxTestData.Case testCase : corpus) {
      yaml.append("      - {name: ")
          .append(testCase.name())
          .append(", runtime: onnx, storageUri: '")
          .append(testCase.model().toUri())
          .append("'}\n");
    }
    server = TestServer.start(dir, yaml.toString());
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private List<Tensor> graphInputs(OnnxTestData.Case testCase) {
    JsonNode metadata = json(server.get("/v2/models/" + testCase.name()).body());
    List<Tensor> renamed = new ArrayList<>();
    for (int i = 0; i < testCase.inputs().size(); i++) {
      renamed.add(
          testCase.inputs().get(i).withName(metadata.get("inputs").get(i).get("name").asText()));
    }
    return renamed;
  }

  @Test
  void theWholeCorpusButItsExclusionsIsServed() {
    System.out.printf(
        "ONNX conformance corpus: %d models served, %d excluded%n", corpus.size(), excluded.size());
    assertThat(excluded).hasSameSizeAs(OnnxTestData.exclusions());
    assertThat(corpus).hasSizeGreaterThanOrEqualTo(AT_LEAST);
  }

  @Test
  void everyModelReproducesItsGoldenOutputsOverRestJson() {
    Map<String, String> failures = new TreeMap<>();
    for (OnnxTestData.Case testCase : corpus) {
      StringBuilder body =
          new StringBuilder("{\"id\":\"").append(testCase.name()).append("\",\"inputs\":[");
      List<Tensor> inputs = graphInputs(testCase);
      for (int i = 0; i < inputs.size(); i++) {
        body.append(i == 0 ? "" : ",").append(TensorTestSupport.jsonInput(inputs.get(i)));
      }
      body.append("]}");
      HttpResponse<String> response =
          server.post("/onnx/v2/models/" + testCase.name() + "/infer", body.toString());
      if (response.statusCode() != 200) {
        failures.put(testCase.name(), response.statusCode() + " " + response.body());
        continue;
      }
      JsonNode json = json(response.body());
      if (!testCase.name().equals(json.path("id").asText())) {
        failures.put(testCase.name(), "id not echoed");
        continue;
      }
      List<Tensor> outputs = new ArrayList<>();
      json.get("outputs").forEach(output -> outputs.add(TensorTestSupport.fromJsonOutput(output)));
      compare(testCase, outputs, failures);
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void everyModelReproducesItsGoldenOutputsOverRestBinary() {
    Map<String, String> failures = new TreeMap<>();
    for (OnnxTestData.Case testCase : corpus) {
      List<Tensor> inputs = graphInputs(testCase);
      StringBuilder header = new StringBuilder("{\"inputs\":[");
      ByteBuffer binary = ByteBuffer.allocate(inputs.stream().mapToInt(Tensor::byteSize).sum());
      for (int i = 0; i < inputs.size(); i++) {
        Tensor input = inputs.get(i);
        header
            .append(i == 0 ? "" : ",")
            .append("{\"name\":")
            .append(TensorTestSupport.quote(input.name()))
            .append(",\"shape\":")
            .append(java.util.Arrays.toString(input.shape()))
            .append(",\"datatype\":\"")
            .append(input.datatype())
            .append("\",\"parameters\":{\"binary_data_size\":")
            .append(input.byteSize())
            .append("}}");
        binary.put(input.data());
      }
      header.append("],\"parameters\":{\"binary_data_output\":true}}");
      byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
      byte[] body =
          ByteBuffer.allocate(json.length + binary.capacity())
              .put(json)
              .put(binary.array())
              .array();
      HttpResponse<byte[]> response =
          server.postBytes(
              "/v2/models/" + testCase.name() + "/infer",
              body,
              "Inference-Header-Content-Length",
              Integer.toString(json.length),
              "Content-Type",
              "application/octet-stream");
      if (response.statusCode() != 200) {
        failures.put(
            testCase.name(),
            response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
        continue;
      }
      Optional<String> headerLength =
          response.headers().firstValue("Inference-Header-Content-Length");
      if (headerLength.isEmpty()) {
        failures.put(testCase.name(), "no Inference-Header-Content-Length in the binary response");
        continue;
      }
      int jsonLength = Integer.parseInt(headerLength.get());
      JsonNode reply = json(new String(response.body(), 0, jsonLength, StandardCharsets.UTF_8));
      int offset = jsonLength;
      List<Tensor> outputs = new ArrayList<>();
      for (JsonNode output : reply.get("outputs")) {
        int size = output.get("parameters").get("binary_data_size").asInt();
        outputs.add(
            Tensor.of(
                output.get("name").asText(),
                io.sluice.api.DataType.valueOf(output.get("datatype").asText()),
                TensorTestSupport.shape(output.get("shape")),
                ByteBuffer.wrap(response.body(), offset, size)
                    .slice()
                    .order(ByteOrder.LITTLE_ENDIAN)));
        offset += size;
      }
      if (offset != response.body().length) {
        failures.put(testCase.name(), "binary sizes do not add up to the body length");
        continue;
      }
      compare(testCase, outputs, failures);
    }
    assertThat(failures).isEmpty();
  }

  @Test
  void everyModelReproducesItsGoldenOutputsOverGrpc() {
    Map<String, String> failures = new TreeMap<>();
    for (OnnxTestData.Case testCase : corpus) {
      List<Tensor> inputs = graphInputs(testCase);
      ModelInferRequest.Builder request =
          ModelInferRequest.newBuilder().setModelName(testCase.name()).setId("g");
      List<ModelInferRequest.InferInputTensor> typed =
          inputs.stream().map(TensorTestSupport::grpcTypedInput).flatMap(Optional::stream).toList();
      if (typed.size() == inputs.size()) {
        request.addAllInputs(typed);
      } else {
        for (Tensor input : inputs) {
          request.addInputs(TensorTestSupport.grpcInputHeader(input));
          request.addRawInputContents(ByteString.copyFrom(TensorTestSupport.bytes(input)));
        }
      }
      try {
        ModelInferResponse response = server.grpc().modelInfer(request.build());
        List<Tensor> outputs = new ArrayList<>();
        for (int i = 0; i < response.getOutputsCount(); i++) {
          ModelInferResponse.InferOutputTensor output = response.getOutputs(i);
          outputs.add(
              Tensor.of(
                  output.getName(),
                  io.sluice.api.DataType.valueOf(output.getDatatype()),
                  output.getShapeList().stream().mapToLong(Long::longValue).toArray(),
                  response.getRawOutputContents(i).asReadOnlyByteBuffer()));
        }
        compare(testCase, outputs, failures);
      } catch (RuntimeException e) {
        failures.put(testCase.name(), e.toString());
      }
    }
    assertThat(failures).isEmpty();
  }

  private static void compare(
      OnnxTestData.Case testCase, List<Tensor> outputs, Map<String, String> failures) {
    if (outputs.size() != testCase.outputs().size()) {
      failures.put(
          testCase.name(), outputs.size() + " outputs, expected " + testCase.outputs().size());
      return;
    }
    for (int i = 0; i < outputs.size(); i++) {
      String why = TensorDiff.mismatch(testCase.outputs().get(i), outputs.get(i));
      if (why != null) {
        failures.put(testCase.name(), "output " + i + ": " + why);
        return;
      }
    }
  }

  private static JsonNode json(String text) {
    try {
      return MAPPER.readTree(text);
    } catch (Exception e) {
      throw new IllegalStateException("not JSON: " + text, e);
    }
  }
}
