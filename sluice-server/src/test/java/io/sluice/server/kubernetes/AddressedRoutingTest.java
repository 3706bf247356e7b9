package io.sluice.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.sluice.protocol.kserve.grpc.proto.GRPCInferenceServiceGrpc;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.server.TestServer;
import io.sluice.testkit.OnnxModelWriter;
import io.sluice.testkit.RawHttp1;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A router's front door with two namespaces that both have a service {@code calc} (x + 1 in team-a,
 * 2x in team-b), each an application whose deployment is served as {@code calc}: a request reaches
 * the one its address names, over REST (Host, seed addresses with the model's prefix, the
 * namespace's path on the router's own address) and gRPC ({@code :authority}), and never the other;
 * an address that names neither gets a not-found that says why, not a guess.
 */
class AddressedRoutingTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String CONFIG =
      """
      applications:
        - name: calc.team-a
          routePrefix: /calc.team-a
          deployments:
            - {name: calc.team-a, servedName: calc, runtime: onnx, storageUri: plus1.onnx}
        - name: calc.team-b
          routePrefix: /calc.team-b
          deployments:
            - {name: calc.team-b, servedName: calc, runtime: onnx, storageUri: double.onnx}
      """;

  private static final String BODY =
      "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": [3]}]}";

  /** A POST with the Host header a client in the cluster would send. */
  private static RawHttp1.Answer post(int port, String host, String path) throws Exception {
    return RawHttp1.post("127.0.0.1", port, host, path, BODY);
  }

  private static double answer(int port, String host, String path) throws Exception {
    RawHttp1.Answer response = post(port, host, path);
    assertThat(response.status()).as(host + path + ": " + response.body()).isEqualTo(200);
    JsonNode output = JSON.readTree(response.body()).get("outputs").get(0);
    return output.get("data").get(0).asDouble();
  }

  private static double grpcAnswer(int port, String authority, String application) {
    ManagedChannelBuilder<?> builder =
        ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext();
    if (authority != null) {
      builder.overrideAuthority(authority);
    }
    ManagedChannel channel = builder.build();
    try {
      var stub =
          GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      if (application != null) {
        Metadata headers = new Metadata();
        headers.put(
            Metadata.Key.of("x-sluice-application", Metadata.ASCII_STRING_MARSHALLER), application);
        stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      }
      var response =
          stub.modelInfer(
              ModelInferRequest.newBuilder()
                  .setModelName("calc")
                  .addInputs(
                      ModelInferRequest.InferInputTensor.newBuilder()
                          .setName("x")
                          .setDatatype("FP32")
                          .addShape(1)
                          .addShape(1)
                          .setContents(InferTensorContents.newBuilder().addFp32Contents(3)))
                  .build());
      return response.getRawOutputContentsCount() > 0
          ? response
              .getRawOutputContents(0)
              .asReadOnlyByteBuffer()
              .order(java.nio.ByteOrder.LITTLE_ENDIAN)
              .getFloat()
          : response.getOutputs(0).getContents().getFp32Contents(0);
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void eachAddressReachesItsOwnNamespacesServiceOnly(@TempDir Path dir) throws Exception {
    OnnxModelWriter.writeLinear(dir.resolve("plus1.onnx"), new float[] {1}, 1);
    OnnxModelWriter.writeLinear(dir.resolve("double.onnx"), new float[] {2}, 0);
    try (TestServer server = TestServer.start(dir, CONFIG)) {
      int port = server.server().port();
      // before any addressing: each application's prefix, and gRPC naming its application
      assertThat(answer(port, "localhost", "/calc.team-a/v2/models/calc/infer")).isEqualTo(4);
      assertThat(answer(port, "localhost", "/calc.team-b/v2/models/calc/infer")).isEqualTo(6);
      assertThat(grpcAnswer(port, null, "calc.team-a")).isEqualTo(4);
      assertThat(grpcAnswer(port, null, "calc.team-b")).isEqualTo(6);
      RawHttp1.Answer ambiguous = post(port, "localhost", "/v2/models/calc/infer");
      assertThat(ambiguous.status()).isEqualTo(404);
      assertThat(ambiguous.body()).contains("calc.team-a").contains("calc.team-b");

      NamespaceAddressing addressing = new NamespaceAddressing();
      addressing.update(
          List.of(
              new InferenceServiceRouting.Route("team-a", "calc", "", List.of()),
              new InferenceServiceRouting.Route("team-b", "calc", "", List.of())),
          Map.of("10.96.0.10", "team-a/calc", "10.96.0.11", "team-b/calc"));
      server.server().address(addressing);

      for (int i = 0; i < 10; i++) {
        assertThat(answer(port, "calc-predictor.team-a", "/v2/models/calc/infer")).isEqualTo(4);
        assertThat(answer(port, "calc-predictor.team-b", "/v2/models/calc/infer")).isEqualTo(6);
      }
      assertThat(answer(port, "10.96.0.10:80", "/v2/models/calc/infer")).isEqualTo(4);
      assertThat(answer(port, "10.96.0.11", "/v2/models/calc/infer")).isEqualTo(6);
      assertThat(
              answer(
                  port,
                  "calc-predictor.team-b.svc.cluster.local:8000",
                  "/calc/v2/models/calc/infer"))
          .isEqualTo(6);
      assertThat(answer(port, "localhost", "/team-a/calc/v2/models/calc/infer")).isEqualTo(4);
      assertThat(answer(port, "localhost", "/team-b/calc/v2/models/calc/infer")).isEqualTo(6);
      // the model name is the client's: the other namespace's deployment is not in scope
      assertThat(post(port, "calc-predictor.team-a", "/v2/models/calc.team-b/infer").status())
          .isEqualTo(404);
      assertThat(post(port, "calc-predictor", "/v2/models/calc/infer").status()).isEqualTo(404);

      assertThat(grpcAnswer(port, "calc-predictor.team-a", null)).isEqualTo(4);
      assertThat(grpcAnswer(port, "calc-predictor.team-b.svc.cluster.local:80", null)).isEqualTo(6);
      // the address decides, not what the client claims
      assertThat(grpcAnswer(port, "calc-predictor.team-b", "calc.team-a")).isEqualTo(6);
      assertThatThrownBy(() -> grpcAnswer(port, "localhost", "calc.team-a"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    }
  }
}
