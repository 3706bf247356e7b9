package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sluice.protocol.kserve.grpc.proto.InferTensorContents;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of bad request gets the protocol's error shape and status with a message saying what
 * is wrong, and a valid request right after it still succeeds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedInputTest {
  private static final String VALID =
      """
      {"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]},
                 {"name":"s","shape":[1],"datatype":"BYTES","data":["ok"]}]}""";

  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server: {maxRequestBody: 64Ki}
        applications:
          - name: app
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s', settings: {inputs: 'x:FP32:-1,2;s:BYTES:-1'}}
              - {name: spare, runtime: test-echo, storageUri: '%s'}
          - name: other
            deployments:
              - {name: elsewhere, runtime: test-echo, storageUri: '%s'}
        """
                .formatted(placeholder, placeholder, placeholder));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @AfterEach
  void validRequestStillSucceeds() throws Exception {
    HttpResponse<String> response = server.post("/v2/models/echo/infer", VALID);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(MAPPER.readTree(response.body()).get("outputs").get(0).get("data").get(3).asDouble())
        .isEqualTo(4.0);
  }

  private void assertError(HttpResponse<String> response, int status, String messagePart)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = MAPPER.readTree(response.body());
    assertThat(body.size()).as("exactly one field: " + body).isEqualTo(1);
    assertThat(body.get("error").isTextual()).isTrue();
    assertThat(body.get("error").asText())
        .contains(messagePart)
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
  }

  private HttpResponse<String> infer(String body) {
    return server.post("/v2/models/echo/infer", body);
  }

  @Test
  void malformedJsonIs400() throws Exception {
    assertError(infer("{\"inputs\": [{\"name\": \"x\", "), 400, "malformed JSON");
    assertError(infer("not json at all"), 400, "malformed JSON");
    assertError(infer(""), 400, "empty");
    assertError(infer("[1,2]"), 400, "must be an object");
  }

  @Test
  void unknownModelIs404() throws Exception {
    assertError(server.post("/v2/models/nope/infer", VALID), 404, "'nope'");
    assertError(server.get("/v2/models/nope"), 404, "'nope'");
    assertError(server.get("/v2/models/nope/ready"), 404, "'nope'");
    assertError(server.post("/v1/models/nope:predict", "{\"instances\":[[1,2]]}"), 404, "'nope'");
  }

  @Test
  void unknownVersionIs404() throws Exception {
    assertError(server.post("/v2/models/echo/versions/7/infer", VALID), 404, "no version '7'");
  }

  @Test
  void modelOfAnotherApplicationIsNotFoundUnderThisPrefix() throws Exception {
    assertError(
        server.post("/app/v2/models/elsewhere/infer", VALID), 404, "not part of application 'app'");
  }

  @Test
  void unloadedModelIs503UntilLoadedAgain() throws Exception {
    assertThat(server.adminPost("/v2/repository/models/spare/unload", "").statusCode())
        .isEqualTo(200);
    String body =
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";
    assertError(server.post("/v2/models/spare/infer", body), 503, "not loaded");
    assertError(server.get("/v2/models/spare/ready"), 503, "not ready");
    assertThat(server.get("/v2/health/ready").statusCode())
        .as("an unloaded model is not expected to be ready")
        .isEqualTo(200);
    assertThat(server.adminPost("/v2/repository/models/spare/load", "").statusCode())
        .isEqualTo(200);
    assertThat(server.post("/v2/models/spare/infer", body).statusCode()).isEqualTo(200);
  }

  @Test
  void wrongInputNameIs400() throws Exception {
    assertError(
        infer(VALID.replace("\"name\":\"x\"", "\"name\":\"y\"")), 400, "no input named 'y'");
  }

  @Test
  void missingInputIs400() throws Exception {
    assertError(
        infer(
            "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}"),
        400,
        "input 's' is missing");
  }

  @Test
  void wrongDatatypeIs400() throws Exception {
    assertError(infer(VALID.replace("\"FP32\"", "\"INT32\"")), 400, "must be FP32, got INT32");
    assertError(infer(VALID.replace("\"FP32\"", "\"FLOAT\"")), 400, "unknown datatype 'FLOAT'");
  }

  @Test
  void shapeThatDoesNotMatchTheElementCountIs400() throws Exception {
    assertError(infer(VALID.replace("[1,2,3,4]", "[1,2,3]")), 400, "needs 4 elements");
    assertError(
        infer(
            VALID
                .replace("\"shape\":[2,2]", "\"shape\":[2,3]")
                .replace("[1,2,3,4]", "[1,2,3,4,5,6]")),
        400,
        "expects [-1, 2]");
    assertError(
        infer(VALID.replace("\"shape\":[2,2]", "\"shape\":[2,-2]")), 400, "non-negative integers");
  }

  @Test
  void valuesOfTheWrongKindAreRejected() throws Exception {
    assertError(infer(VALID.replace("[1,2,3,4]", "[1,2,\"three\",4]")), 400, "not a FP32 value");
    assertError(infer(VALID.replace("[\"ok\"]", "[5]")), 400, "not a BYTES value");
  }

  @Test
  void binarySizesThatDoNotAddUpAre400() throws Exception {
    String header =
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":8}},"
            + "{\"name\":\"s\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"ok\"]}]}";
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    byte[] tooShort = ByteBuffer.allocate(json.length + 4).put(json).putInt(1).array();
    assertError(
        asString(
            server.postBytes(
                "/v2/models/echo/infer",
                tooShort,
                "Inference-Header-Content-Length",
                Integer.toString(json.length))),
        400,
        "only 4 bytes of binary data remain");
    byte[] tooLong = ByteBuffer.allocate(json.length + 12).put(json).array();
    assertError(
        asString(
            server.postBytes(
                "/v2/models/echo/infer",
                tooLong,
                "Inference-Header-Content-Length",
                Integer.toString(json.length))),
        400,
        "4 bytes that no input");
  }

  @Test
  void headerLengthPastTheBodyIs400() throws Exception {
    byte[] body = VALID.getBytes(StandardCharsets.UTF_8);
    assertError(
        asString(
            server.postBytes(
                "/v2/models/echo/infer",
                body,
                "Inference-Header-Content-Length",
                Integer.toString(body.length + 10))),
        400,
        "Inference-Header-Content-Length");
    assertError(
        asString(
            server.postBytes(
                "/v2/models/echo/infer", body, "Inference-Header-Content-Length", "abc")),
        400,
        "non-negative integer");
  }

  @Test
  void badBytesElementLengthIs400() throws Exception {
    String header =
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]},"
            + "{\"name\":\"s\",\"shape\":[1],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":6}}]}";
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    byte[] body =
        ByteBuffer.allocate(json.length + 6)
            .order(ByteOrder.LITTLE_ENDIAN)
            .put(json)
            .putInt(100)
            .putShort((short) 0)
            .array();
    assertError(
        asString(
            server.postBytes(
                "/v2/models/echo/infer",
                body,
                "Inference-Header-Content-Length",
                Integer.toString(json.length))),
        400,
        "element of length 100");
  }

  @Test
  void oversizedBodyIs413() throws Exception {
    String big =
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}],\"pad\":\""
            + "x".repeat(70 * 1024)
            + "\"}";
    assertError(infer(big), 413, "larger than the limit");
  }

  @Test
  void crashingModelIs500AndKeepsServing() throws Exception {
    assertError(infer(VALID.replace("[\"ok\"]", "[\"test:fail\"]")), 500, "model 'echo' failed");
    assertError(infer(VALID.replace("[\"ok\"]", "[\"test:reject\"]")), 400, "injected rejection");
  }

  @Test
  void unknownOutputIs400() throws Exception {
    assertError(
        infer(VALID.replace("]}", "],\"outputs\":[{\"name\":\"nope\"}]}")),
        400,
        "no output named 'nope'");
  }

  @Test
  void unknownRouteIs404WithErrorBody() throws Exception {
    assertError(server.get("/v2/nothing/here"), 404, "no route");
  }

  @Test
  void v1PredictRejectsBadBodies() throws Exception {
    assertError(server.post("/v1/models/spare:predict", "{\"nope\":1}"), 400, "instances");
    assertError(
        server.post(
            "/v1/models/echo:predict",
            "{\"instances\":[{\"x\":[1,2],\"s\":\"a\"},{\"x\":[3],\"s\":\"b\"}]}"),
        400,
        "differ in shape");
    assertError(
        server.post("/v1/models/echo:predict", "{\"instances\":[[1,2]]}"),
        400,
        "must be an object");
    assertError(
        server.post("/v1/models/spare:predict", "{\"instances\":[[[1,2]]]}"), 400, "expects [-1]");
    assertError(
        server.post("/v1/models/spare:predict", "{\"instances\":[[1,[2]]]}"), 400, "ragged");
  }

  private void assertOpenAiError(HttpResponse<String> response, int status, String messagePart)
      throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    JsonNode error = MAPPER.readTree(response.body()).get("error");
    assertThat(error.get("message").asText()).contains(messagePart);
    assertThat(error.has("type")).isTrue();
    assertThat(error.has("param")).isTrue();
    assertThat(error.has("code")).isTrue();
  }

  @Test
  void openAiRoutesAnswerInOpenAiErrorShape() throws Exception {
    assertOpenAiError(
        server.post("/v1/audio/transcriptions", "{\"model\":\"echo\"}"),
        400,
        "multipart/form-data");
    assertOpenAiError(
        server.post("/v1/embeddings", "{\"model\":\"echo\",\"input\":\"x\"}"),
        400,
        "does not produce embeddings");
    assertOpenAiError(
        server.post("/v1/embeddings", "{\"model\":\"nope\",\"input\":\"x\"}"), 404, "'nope'");
    assertOpenAiError(server.post("/v1/embeddings", "{\"input\":\"x\"}"), 400, "model");
    assertOpenAiError(server.post("/v1/embeddings", "not json"), 400, "malformed JSON");
    assertOpenAiError(
        server.post(
            "/v1/chat/completions",
            "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        400,
        "does not generate text");
    assertOpenAiError(
        server.post(
            "/v1/audio/speech",
            "{\"model\":\"echo\",\"input\":\"hi\",\"response_format\":\"mp3\"}"),
        400,
        "supported: [wav, pcm]");
  }

  @Test
  void anOversizedUploadIs413() throws Exception {
    String boundary = "b0undary";
    String body =
        "--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\necho\r\n--"
            + boundary
            + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n"
            + "x".repeat(100 * 1024)
            + "\r\n--"
            + boundary
            + "--\r\n";
    HttpResponse<String> response =
        server.send(
            java.net.http.HttpRequest.newBuilder(server.uri("/v1/audio/transcriptions"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build());
    assertThat(response.statusCode()).isEqualTo(413);
  }

  @Test
  void grpcErrorsCarryTheirStatusCodes() {
    assertGrpcError(
        ModelInferRequest.newBuilder().setModelName("nope").build(),
        Status.Code.NOT_FOUND,
        "'nope'");
    ModelInferRequest wrongCount =
        ModelInferRequest.newBuilder()
            .setModelName("echo")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("x")
                    .setDatatype("FP32")
                    .addShape(1)
                    .addShape(2)
                    .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
            .build();
    assertGrpcError(wrongCount, Status.Code.INVALID_ARGUMENT, "needs 2 elements");
    ModelInferRequest badRaw =
        ModelInferRequest.newBuilder()
            .setModelName("echo")
            .addInputs(
                ModelInferRequest.InferInputTensor.newBuilder()
                    .setName("x")
                    .setDatatype("FP32")
                    .addShape(1)
                    .addShape(2))
            .addRawInputContents(ByteString.copyFrom(new byte[3]))
            .build();
    assertGrpcError(badRaw, Status.Code.INVALID_ARGUMENT, "needs 8 bytes");
    assertThat(server.adminPost("/v2/repository/models/spare/unload", "").statusCode())
        .isEqualTo(200);
    assertGrpcError(
        ModelInferRequest.newBuilder().setModelName("spare").build(),
        Status.Code.UNAVAILABLE,
        "not loaded");
    assertThat(server.adminPost("/v2/repository/models/spare/load", "").statusCode())
        .isEqualTo(200);
  }

  private void assertGrpcError(ModelInferRequest request, Status.Code code, String messagePart) {
    assertThatThrownBy(() -> server.grpc().modelInfer(request))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(messagePart);
            });
  }

  private static HttpResponse<String> asString(HttpResponse<byte[]> response) {
    return new HttpResponse<>() {
      public int statusCode() {
        return response.statusCode();
      }

      public java.net.http.HttpRequest request() {
        return response.request();
      }

      public java.util.Optional<HttpResponse<String>> previousResponse() {
        return java.util.Optional.empty();
      }

      public java.net.http.HttpHeaders headers() {
        return response.headers();
      }

      public String body() {
        return new String(response.body(), StandardCharsets.UTF_8);
      }

      public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
        return response.sslSession();
      }

      public java.net.URI uri() {
        return response.uri();
      }

      public java.net.http.HttpClient.Version version() {
        return response.version();
      }
    };
  }
}
