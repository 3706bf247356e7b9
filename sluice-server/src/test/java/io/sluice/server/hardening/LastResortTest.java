package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.server.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whatever goes wrong inside the code that answers a request, the client gets the protocol's error
 * within a second (REST, SSE and gRPC), and the server goes on serving. Faults are injected through
 * runtimes that hand the protocol layer what it cannot encode.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LastResortTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration BOUND = Duration.ofSeconds(5);

  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        applications:
          - name: app
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s', settings: {inputs: 'x:FP32:-1;s:BYTES:-1'}}
              - {name: text, runtime: test-echo-text, storageUri: '%s'}
        """
                .formatted(placeholder, placeholder));
    // Warm every route the tests time, so that the 1 s bound measures the answer, not class
    // loading.
    assertThat(infer("/v2/models/echo/infer", valid()).statusCode()).isEqualTo(200);
    assertThat(
            infer(
                    "/v1/chat/completions",
                    "{\"model\":\"text\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"warm up\"}]}")
                .statusCode())
        .isEqualTo(200);
    assertThat(
            infer(
                    "/v1/chat/completions",
                    "{\"model\":\"text\",\"messages\":[{\"role\":\"user\",\"content\":\"warm up\"}]}")
                .statusCode())
        .isEqualTo(200);
    assertThat(
            infer("/v2/models/text/generate_stream", "{\"text_input\":\"warm up\"}").statusCode())
        .isEqualTo(200);
    assertThat(
            server
                .grpc()
                .serverLive(
                    io.sluice.protocol.kserve.grpc.proto.ServerLiveRequest.getDefaultInstance())
                .getLive())
        .isTrue();
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @AfterEach
  void serverStillServes() {
    HttpResponse<String> response = infer("/v2/models/echo/infer", valid());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  private static String valid() {
    return """
        {"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,2]},
                   {"name":"s","shape":[1],"datatype":"BYTES","data":["ok"]}]}""";
  }

  private HttpResponse<String> infer(String path, String body) {
    return server.send(
        HttpRequest.newBuilder(server.uri(path))
            .timeout(BOUND)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  @Test
  void aShapeWhoseElementCountOverflowsIs400() throws Exception {
    String overflowing =
        """
        {"inputs":[{"name":"x","shape":[2147483648,2147483648,4],"datatype":"FP32","data":[1]}]}""";
    for (String path : new String[] {"/v2/models/echo/infer", "/app/v2/models/echo/infer"}) {
      HttpResponse<String> response = infer(path, overflowing);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
      assertThat(MAPPER.readTree(response.body()).get("error").asText()).contains("overflows");
    }
  }

  @Test
  void aShapeWhoseElementCountOverflowsIsInvalidArgumentOnGrpc() {
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("echo")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("x")
                    .setDatatype("FP32")
                    .addShape(2147483648L)
                    .addShape(2147483648L)
                    .addShape(4)
                    .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
            .build();
    assertThatThrownBy(
            () -> server.grpc().withDeadlineAfter(5, TimeUnit.SECONDS).modelInfer(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void aRouteThatThrowsAnswers500WithTheRequestId() throws Exception {
    HttpResponse<String> response =
        server.send(
            HttpRequest.newBuilder(server.uri("/v2/models/text/generate"))
                .timeout(BOUND)
                .header("x-request-id", "trace-me-42")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        """
            {"text_input":"test:null-result","parameters":{"max_tokens":4}}"""))
                .build());
    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(response.headers().firstValue("x-request-id")).hasValue("trace-me-42");
    assertThat(MAPPER.readTree(response.body()).get("error").asText())
        .contains("internal server error")
        .contains("trace-me-42")
        .doesNotContain("Exception");
  }

  @Test
  void aRuntimeAnsweringNullIs500NotAHang() throws Exception {
    HttpResponse<String> response =
        infer(
            "/v2/models/echo/infer",
            """
        {"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},
                   {"name":"s","shape":[1],"datatype":"BYTES","data":["test:null-output"]}]}""");
    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(MAPPER.readTree(response.body()).get("error").asText()).contains("unusable answer");
  }

  @Test
  void aRuntimeAnsweringNullIsInternalOnGrpc() {
    ModelInferRequest request =
        ModelInferRequest.newBuilder()
            .setModelName("echo")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("x")
                    .setDatatype("FP32")
                    .addShape(1)
                    .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("s")
                    .setDatatype("BYTES")
                    .addShape(1)
                    .setContents(
                        InferTensorContents.newBuilder()
                            .addBytesContents(
                                com.google.protobuf.ByteString.copyFromUtf8("test:null-output"))))
            .build();
    assertThatThrownBy(
            () -> server.grpc().withDeadlineAfter(5, TimeUnit.SECONDS).modelInfer(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
  }

  @Test
  void aStreamWhoseEndCannotBeWrittenEndsWithAnErrorEvent() throws Exception {
    HttpResponse<String> response =
        infer(
            "/app/v1/chat/completions",
            """
        {"model":"text","stream":true,"messages":[{"role":"user","content":"test:null-result"}]}""");
    assertThat(response.statusCode()).isEqualTo(200);
    String[] events = response.body().strip().split("\n\n");
    JsonNode last = MAPPER.readTree(events[events.length - 1].substring("data: ".length()));
    assertThat(last.get("error").get("type").asText()).isEqualTo("server_error");
    assertThat(response.body()).contains("test:null-result");
  }

  @Test
  void aWholeAnswerThatCannotBeWrittenIsOpenAi500() throws Exception {
    HttpResponse<String> response =
        infer(
            "/v1/chat/completions",
            """
        {"model":"text","messages":[{"role":"user","content":"test:null-result"}]}""");
    assertThat(response.statusCode()).isEqualTo(500);
    JsonNode error = MAPPER.readTree(response.body()).get("error");
    assertThat(error.get("type").asText()).isEqualTo("server_error");
    assertThat(error.get("code").asText()).isEqualTo("internal_error");
  }

  @Test
  void aV2GenerateStreamThatCannotEndEndsWithAnErrorEvent() throws Exception {
    HttpResponse<String> response =
        infer(
            "/v2/models/text/generate_stream",
            """
        {"text_input":"test:null-result","parameters":{"max_tokens":4}}""");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body().strip()).endsWith("}").contains("\"error\"");
  }

  @Test
  void aRuntimeFailingMidStreamEndsTheStreamWithAnError() throws Exception {
    HttpResponse<String> response =
        infer(
            "/v1/chat/completions",
            """
        {"model":"text","stream":true,"messages":[{"role":"user","content":"test:fail and more"}]}""");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"error\"").doesNotContain("IllegalStateException");
  }
}
