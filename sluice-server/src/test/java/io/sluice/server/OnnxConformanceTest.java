package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.sluice.api.Tensor;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelInferResponse;
import io.sluice.runtime.onnx.OnnxModelRuntime;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import io.sluice.testkit.OnnxTestData;
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
 * V2 conformance against the golden tensors of ONNX's backend test data (Debian libonnx-testdata): every
 * model whose direct ONNX Runtime run reproduces its golden outputs is served by one Sluice server and
 * must reproduce them again through REST JSON, REST binary and gRPC.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OnnxConformanceTest {
  private static final List<String> GROUPS = List.of("node", "simple", "pytorch-operator", "pytorch-converted");

  private final List<OnnxTestData.Case> corpus = new ArrayList<>();
  private final Map<String, String> excluded = new TreeMap<>();
  private TestServer server;

  @BeforeAll
  void startServerWithEveryReproducibleModel(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isDirectory(OnnxTestData.ROOT), "libonnx-testdata is not installed (.ci/run installs it)");
    OnnxModelRuntime runtime = new OnnxModelRuntime();
    for (String group : GROUPS) {
      for (OnnxTestData.Case testCase : OnnxTestData.cases(group)) {
        String why = directRunMismatch(runtime, testCase);
        if (why == null) {
          corpus.add(testCase);
        } else {
          excluded.put(group + "/" + testCase.name(), why);
        }
      }
    }
    StringBuilder yaml = new StringBuilder("applications:\n  - name: onnx\n    routePrefix: /onnx\n    deployments:\n");
    for (OnnxTestData.Case testCase : corpus) {
      yaml.append("      - {name: ").append(testCase.name()).append(", runtime: onnx, storageUri: '")
          .append(testCase.model().toUri()).append("'}\n");
    }
    server = TestServer.start(dir, yaml.toString());
  }

  @AfterAll
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** Null when ONNX Runtime, called directly, reproduces the golden outputs; otherwise why not. */
  private static String directRunMismatch(OnnxModelRuntime runtime, OnnxTestData.Case testCase) {
    try (LoadedModel model = runtime.load(new ModelSource(testCase.name(), "1", testCase.model(), Map.of()))) {
      if (model.metadata().inputs().size() != testCase.inputs().size()) {
        return "golden inputs do not cover the graph's inputs";
      }
      List<String> outputNames = model.metadata().outputs().stream().map(o -> o.name()).toList();
      if (outputNames.size() != testCase.outputs().size()) {
        return "golden outputs do not cover the graph's outputs";
      }
      List<Tensor> outputs = model.infer(named(testCase.inputs(), model), outputNames);
      for (int i = 0; i < outputs.size(); i++) {
        String why = TensorTestSupport.mismatch(testCase.outputs().get(i), outputs.get(i).withName(testCase.outputs().get(i).name()));
        if (why != null) {
          return "direct run differs: " + why;
        }
      }
      return null;
    } catch (Exception e) {
      return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
  }

  /** Golden inputs named as the graph names them (some .pb files carry no name). */
  private static List<Tensor> named(List<Tensor> inputs, LoadedModel model) {
    List<Tensor> renamed = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      renamed.add(inputs.get(i).withName(model.metadata().inputs().get(i).name()));
    }
    return renamed;
  }

  private List<Tensor> graphInputs(OnnxTestData.Case testCase) {
    JsonNode metadata = json(server.get("/v2/models/" + testCase.name()).body());
    List<Tensor> renamed = new ArrayList<>();
    for (int i = 0; i < testCase.inputs().size(); i++) {
      renamed.add(testCase.inputs().get(i).withName(metadata.get("inputs").get(i).get("name").asText()));
    }
    return renamed;
  }

  @Test
  void corpusHoldsAtLeast150Models() {
    System.out.printf("ONNX conformance corpus: %d models served, %d excluded%n", corpus.size(), excluded.size());
    assertThat(corpus).hasSizeGreaterThanOrEqualTo(150);
  }

  @Test
  void everyModelReproducesItsGoldenOutputsOverRestJson() {
    Map<String, String> failures = new TreeMap<>();
    for (OnnxTestData.Case testCase : corpus) {
      StringBuilder body = new StringBuilder("{\"id\":\"").append(testCase.name()).append("\",\"inputs\":[");
      List<Tensor> inputs = graphInputs(testCase);
      for (int i = 0; i < inputs.size(); i++) {
        body.append(i == 0 ? "" : ",").append(TensorTestSupport.jsonInput(inputs.get(i)));
      }
      body.append("]}");
      HttpResponse<String> response = server.post("/onnx/v2/models/" + testCase.name() + "/infer", body.toString());
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
        header.append(i == 0 ? "" : ",").append("{\"name\":").append(TensorTestSupport.quote(input.name()))
            .append(",\"shape\":").append(java.util.Arrays.toString(input.shape()))
            .append(",\"datatype\":\"").append(input.datatype())
            .append("\",\"parameters\":{\"binary_data_size\":").append(input.byteSize()).append("}}");
        binary.put(input.data());
      }
      header.append("],\"parameters\":{\"binary_data_output\":true}}");
      byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
      byte[] body = ByteBuffer.allocate(json.length + binary.capacity()).put(json).put(binary.array()).array();
      HttpResponse<byte[]> response = server.postBytes("/v2/models/" + testCase.name() + "/infer", body,
          "Inference-Header-Content-Length", Integer.toString(json.length),
          "Content-Type", "application/octet-stream");
      if (response.statusCode() != 200) {
        failures.put(testCase.name(), response.statusCode() + " " + new String(response.body(), StandardCharsets.UTF_8));
        continue;
      }
      Optional<String> headerLength = response.headers().firstValue("Inference-Header-Content-Length");
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
        outputs.add(Tensor.of(output.get("name").asText(),
            io.sluice.api.DataType.valueOf(output.get("datatype").asText()),
            TensorTestSupport.shape(output.get("shape")),
            ByteBuffer.wrap(response.body(), offset, size).slice().order(ByteOrder.LITTLE_ENDIAN)));
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
      ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(testCase.name()).setId("g");
      List<ModelInferRequest.InferInputTensor> typed = inputs.stream()
          .map(TensorTestSupport::grpcTypedInput).flatMap(Optional::stream).toList();
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
          outputs.add(Tensor.of(output.getName(), io.sluice.api.DataType.valueOf(output.getDatatype()),
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

  private static void compare(OnnxTestData.Case testCase, List<Tensor> outputs, Map<String, String> failures) {
    if (outputs.size() != testCase.outputs().size()) {
      failures.put(testCase.name(), outputs.size() + " outputs, expected " + testCase.outputs().size());
      return;
    }
    for (int i = 0; i < outputs.size(); i++) {
      String why = TensorTestSupport.mismatch(testCase.outputs().get(i), outputs.get(i));
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
