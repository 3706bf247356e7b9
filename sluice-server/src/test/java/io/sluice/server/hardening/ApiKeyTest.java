package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.sluice.protocol.kserve.grpc.proto.GRPCInferenceServiceGrpc;
import io.sluice.protocol.kserve.grpc.proto.ModelMetadataRequest;
import io.sluice.protocol.kserve.grpc.proto.ServerLiveRequest;
import io.sluice.server.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * API keys on every protocol: accepted as a bearer token or {@code x-api-key}, refused in each
 * one's error shape.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiKeyTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String SERVER_KEY = "sk-server-0123456789abcdef";
  private static final String APP_KEY = "sk-application-0123456789";
  private static final String FILE_KEY = "sk-from-a-file-0123456789";
  private static final String ROTATED_KEY = "sk-rotated-in-0123456789";
  private static final String INFER =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";

  private TestServer server;
  private Path keyFile;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    keyFile = Files.writeString(dir.resolve("keys"), "# one key per line\n" + FILE_KEY + "\n");
    server =
        TestServer.start(
            dir,
            """
        server:
          auth: {apiKeys: ['%s'], apiKeysFile: keys}
        applications:
          - name: open
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s'}
          - name: secure
            apiKeys: ['%s']
            deployments:
              - {name: guarded, runtime: test-echo, storageUri: '%s'}
              - {name: text, runtime: test-echo-text, storageUri: '%s'}
        """
                .formatted(SERVER_KEY, placeholder, APP_KEY, placeholder, placeholder));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private HttpResponse<String> post(String path, String body, String... headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(server.uri(path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return server.send(request.build());
  }

  @Test
  void v2RestNeedsAKeyAsBearerOrXApiKey() throws Exception {
    HttpResponse<String> refused = post("/v2/models/echo/infer", INFER);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("www-authenticate")).hasValue("Bearer");
    assertThat(MAPPER.readTree(refused.body()).get("error").asText())
        .contains("API key is required");
    assertThat(
            post("/v2/models/echo/infer", INFER, "Authorization", "Bearer wrong-key-0123456789")
                .statusCode())
        .isEqualTo(401);
    assertThat(
            post("/v2/models/echo/infer", INFER, "Authorization", "Bearer " + SERVER_KEY)
                .statusCode())
        .isEqualTo(200);
    assertThat(post("/open/v2/models/echo/infer", INFER, "x-api-key", SERVER_KEY).statusCode())
        .isEqualTo(200);
  }

  @Test
  void openAiRoutesRefuseInOpenAisShape() throws Exception {
    HttpResponse<String> refused =
        post(
            "/v1/chat/completions",
            "{\"model\":\"text\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
            "Authorization",
            "Bearer nope-0123456789abcdef");
    assertThat(refused.statusCode()).isEqualTo(401);
    JsonNode error = MAPPER.readTree(refused.body()).get("error");
    assertThat(error.get("code").asText()).isEqualTo("invalid_api_key");
    assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
    HttpResponse<String> answered =
        post(
            "/secure/v1/chat/completions",
            "{\"model\":\"text\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}",
            "Authorization",
            "Bearer " + APP_KEY);
    assertThat(answered.statusCode()).as(answered.body()).isEqualTo(200);
    assertThat(answered.body()).contains("hello there");
  }

  @Test
  void anApplicationsKeyWorksUnderItsPrefixOnly() {
    assertThat(post("/secure/v2/models/guarded/infer", INFER, "x-api-key", APP_KEY).statusCode())
        .isEqualTo(200);
    assertThat(post("/v2/models/guarded/infer", INFER, "x-api-key", APP_KEY).statusCode())
        .isEqualTo(401);
    assertThat(post("/open/v2/models/echo/infer", INFER, "x-api-key", APP_KEY).statusCode())
        .isEqualTo(401);
    assertThat(post("/secure/v2/models/guarded/infer", INFER, "x-api-key", SERVER_KEY).statusCode())
        .isEqualTo(200);
  }

  @Test
  void healthMetricsAndAdminStayOutOfIt() {
    assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
    assertThat(server.get("/secure/v2/health/ready").statusCode()).isEqualTo(200);
    assertThat(server.get("/metrics").statusCode()).isEqualTo(200);
    assertThat(server.get("/v2/models/echo").statusCode()).isEqualTo(401);
    HttpResponse<String> admin =
        server.send(
            HttpRequest.newBuilder(server.uri("/api/v1/status"))
                .header("Authorization", "Bearer " + SERVER_KEY)
                .GET()
                .build());
    assertThat(admin.statusCode()).as("an API key is not an admin token").isEqualTo(401);
    HttpResponse<String> adminWithToken =
        server.send(
            HttpRequest.newBuilder(server.uri("/api/v1/status"))
                .header("Authorization", "Bearer " + server.server().admin().token())
                .GET()
                .build());
    assertThat(adminWithToken.statusCode()).isEqualTo(200);
  }

  @Test
  void grpcTakesTheKeyFromAuthorizationMetadata() {
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub anonymous = server.grpc();
    assertThat(anonymous.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThatThrownBy(
            () ->
                anonymous.modelMetadata(ModelMetadataRequest.newBuilder().setName("echo").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    Metadata metadata = new Metadata();
    metadata.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + SERVER_KEY);
    assertThat(
            anonymous
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .modelMetadata(ModelMetadataRequest.newBuilder().setName("echo").build())
                .getName())
        .isEqualTo("echo");
  }

  @Test
  void repositoryLoadAndUnloadTakeTheAdminTokenNotAnApiKey() throws Exception {
    HttpResponse<String> withKey =
        post("/v2/repository/models/echo/unload", "", "Authorization", "Bearer " + SERVER_KEY);
    assertThat(withKey.statusCode()).isEqualTo(401);
    assertThat(MAPPER.readTree(withKey.body()).get("error").asText())
        .contains("administrative")
        .contains("server.auth.repositoryControl");
    assertThat(
            post("/open/v2/repository/models/echo/unload", "", "x-api-key", SERVER_KEY)
                .statusCode())
        .as("under an application's prefix too")
        .isEqualTo(401);
    assertThat(post("/v2/repository/index", "{}", "x-api-key", SERVER_KEY).statusCode())
        .as("the index only reads")
        .isEqualTo(200);
    Metadata key = new Metadata();
    key.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + SERVER_KEY);
    assertThatThrownBy(
            () ->
                server
                    .grpc()
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                    .repositoryModelUnload(
                        io.sluice.protocol.kserve.grpc.proto.RepositoryModelUnloadRequest
                            .newBuilder()
                            .setModelName("echo")
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    for (String disguised :
        List.of(
            "/v2/repository/models/echo/unload/",
            "/v2/repository/./models/echo/unload",
            "/v2/x/../repository/models/echo/unload",
            "/v2/repository/models/echo/%75nload",
            "/open/v2/repository/models/echo/unload//")) {
      HttpResponse<String> attempt = post(disguised, "", "x-api-key", SERVER_KEY);
      assertThat(attempt.statusCode()).as(disguised).isIn(401, 404);
    }
    assertThat(post("/v2/models/echo/infer", INFER, "x-api-key", SERVER_KEY).statusCode())
        .as("still loaded")
        .isEqualTo(200);

    assertThat(server.adminPost("/v2/repository/models/echo/unload", "").statusCode())
        .isEqualTo(200);
    assertThat(post("/v2/models/echo/infer", INFER, "x-api-key", SERVER_KEY).statusCode())
        .isEqualTo(503);
    server
        .grpcAsAdmin()
        .repositoryModelLoad(
            io.sluice.protocol.kserve.grpc.proto.RepositoryModelLoadRequest.newBuilder()
                .setModelName("echo")
                .build());
    assertThat(post("/v2/models/echo/infer", INFER, "x-api-key", SERVER_KEY).statusCode())
        .isEqualTo(200);
  }

  @Test
  void keysFromAFileRotateWhenTheFileChanges() throws Exception {
    assertThat(post("/v2/models/echo/infer", INFER, "x-api-key", FILE_KEY).statusCode())
        .isEqualTo(200);
    Files.writeString(keyFile, ROTATED_KEY + "\n");
    Files.setLastModifiedTime(
        keyFile, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
    Eventually.within(
        Duration.ofSeconds(5),
        () -> post("/v2/models/echo/infer", INFER, "x-api-key", ROTATED_KEY).statusCode() == 200);
    assertThat(post("/v2/models/echo/infer", INFER, "x-api-key", FILE_KEY).statusCode())
        .isEqualTo(401);
  }
}
