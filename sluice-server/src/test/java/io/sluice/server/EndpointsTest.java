package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.protocol.kserve.grpc.proto.ModelMetadataRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelMetadataResponse;
import io.sluice.protocol.kserve.grpc.proto.ModelReadyRequest;
import io.sluice.protocol.kserve.grpc.proto.RepositoryIndexRequest;
import io.sluice.protocol.kserve.grpc.proto.RepositoryIndexResponse;
import io.sluice.protocol.kserve.grpc.proto.RepositoryModelLoadRequest;
import io.sluice.protocol.kserve.grpc.proto.RepositoryModelUnloadRequest;
import io.sluice.protocol.kserve.grpc.proto.ServerLiveRequest;
import io.sluice.protocol.kserve.grpc.proto.ServerMetadataRequest;
import io.sluice.protocol.kserve.grpc.proto.ServerMetadataResponse;
import io.sluice.protocol.kserve.grpc.proto.ServerReadyRequest;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Health, metadata, repository, statistics, V1 and metrics endpoints, over REST and gRPC. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndpointsTest {
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    Path softmax = Path.of("../models/softmax/model.onnx").toAbsolutePath().normalize();
    server =
        TestServer.start(
            dir,
            """
        server: {grpcPort: 0}
        applications:
          - name: vision
            routePrefix: /vision
            deployments:
              - {name: softmax, runtime: onnx, storageUri: '%s', version: "3"}
              - {name: rows, runtime: test-echo, storageUri: '%s', settings: {inputs: 'INPUT0:FP32:-1,3'}}
          - name: slow
            deployments:
              - {name: slow, runtime: test-echo, storageUri: '%s', settings: {inputs: 'INPUT0:FP32:-1', delayMs: '600'}}
          - name: pairs
            deployments:
              - {name: pairs, runtime: test-echo, storageUri: '%s', settings: {inputs: 'x:FP32:-1,2;s:BYTES:-1'}}
        """
                .formatted(softmax.toUri(), placeholder, placeholder, placeholder));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private JsonNode json(HttpResponse<String> response) throws Exception {
    return MAPPER.readTree(response.body());
  }

  @Test
  void healthAnswersLiveAndReady() throws Exception {
    HttpResponse<String> live = server.get("/v2/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(json(live).get("live").asBoolean()).isTrue();
    assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
    assertThat(server.get("/vision/v2/health/ready").statusCode()).isEqualTo(200);
    assertThat(server.grpc().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(server.grpc().serverReady(ServerReadyRequest.getDefaultInstance()).getReady())
        .isTrue();
  }

  @Test
  void theOptionalGrpcOnlyPortServesGrpc() {
    int grpcPort = server.server().grpcPort();
    assertThat(grpcPort).isPositive().isNotEqualTo(server.server().port());
    io.grpc.ManagedChannel channel =
        io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
    try {
      assertThat(
              io.sluice.protocol.kserve.grpc.proto.GRPCInferenceServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(10, TimeUnit.SECONDS)
                  .modelReady(ModelReadyRequest.newBuilder().setName("rows").build())
                  .getReady())
          .isTrue();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void serverMetadataAdvertisesExactlyTheImplementedExtensions() throws Exception {
    JsonNode metadata = json(server.get("/v2"));
    assertThat(metadata.get("name").asText()).isEqualTo("sluice");
    assertThat(metadata.get("extensions"))
        .extracting(JsonNode::asText)
        .containsExactly("binary_tensor_data", "model_repository", "statistics");
    ServerMetadataResponse grpc =
        server.grpc().serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertThat(grpc.getExtensionsList())
        .containsExactly("binary_tensor_data", "model_repository", "statistics");
  }

  @Test
  void modelMetadataComesFromTheOnnxGraph() throws Exception {
    for (String path :
        new String[] {
          "/v2/models/softmax", "/v2/models/softmax/versions/3", "/vision/v2/models/softmax"
        }) {
      JsonNode metadata = json(server.get(path));
      assertThat(metadata.get("name").asText()).isEqualTo("softmax");
      assertThat(metadata.get("versions").get(0).asText()).isEqualTo("3");
      assertThat(metadata.get("platform").asText()).isEqualTo("onnx_onnxv1");
      assertThat(metadata.get("inputs").get(0).toString())
          .isEqualTo("{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[3,4,5]}");
      assertThat(metadata.get("outputs").get(0).toString())
          .isEqualTo("{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[3,4,5]}");
    }
    assertThat(json(server.get("/v2/models/rows")).get("inputs").get(0).get("shape").toString())
        .isEqualTo("[-1,3]");
    ModelMetadataResponse grpc =
        server.grpc().modelMetadata(ModelMetadataRequest.newBuilder().setName("softmax").build());
    assertThat(grpc.getInputs(0).getShapeList()).containsExactly(3L, 4L, 5L);
    assertThat(grpc.getPlatform()).isEqualTo("onnx_onnxv1");
  }

  @Test
  void modelReadyWithAndWithoutVersion() throws Exception {
    JsonNode ready = json(server.get("/v2/models/softmax/ready"));
    assertThat(ready.get("name").asText()).isEqualTo("softmax");
    assertThat(ready.get("ready").asBoolean()).isTrue();
    assertThat(server.get("/v2/models/softmax/versions/3/ready").statusCode()).isEqualTo(200);
    assertThat(server.get("/v2/models/softmax/versions/4/ready").statusCode()).isEqualTo(404);
    assertThat(
            server
                .grpc()
                .modelReady(
                    ModelReadyRequest.newBuilder().setName("softmax").setVersion("3").build())
                .getReady())
        .isTrue();
  }

  @Test
  void onnxInferenceComputesSoftmaxUnderThePrefixAndAtTheRoot() throws Exception {
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      data.append(i == 0 ? "" : ",").append(i % 5);
    }
    String body =
        "{\"id\":\"s1\",\"inputs\":[{\"name\":\"x\",\"shape\":[3,4,5],\"datatype\":\"FP32\",\"data\":["
            + data
            + "]}]}";
    for (String path :
        new String[] {"/v2/models/softmax/infer", "/vision/v2/models/softmax/versions/3/infer"}) {
      JsonNode response = json(server.post(path, body));
      assertThat(response.get("model_name").asText()).isEqualTo("softmax");
      assertThat(response.get("model_version").asText()).isEqualTo("3");
      assertThat(response.get("id").asText()).isEqualTo("s1");
      JsonNode y = response.get("outputs").get(0);
      assertThat(y.get("shape").toString()).isEqualTo("[3,4,5]");
      // x[i][j][k] = k, so softmax over axis 1 (size 4) sees equal values and gives 0.25
      // everywhere.
      for (JsonNode value : y.get("data")) {
        assertThat(value.asDouble()).isCloseTo(0.25, org.assertj.core.data.Offset.offset(1e-6));
      }
    }
  }

  @Test
  void nestedDataIsReadRowMajorAndOutputsAreFiltered() throws Exception {
    String body =
        """
        {"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3,4]]},
                   {"name":"s","shape":[1],"datatype":"BYTES","data":["a"]}],
         "outputs":[{"name":"x"}]}""";
    JsonNode response = json(server.post("/pairs/v2/models/pairs/infer", body));
    assertThat(response.get("outputs")).hasSize(1);
    assertThat(response.get("outputs").get(0).get("data").toString())
        .isEqualTo("[1.0,2.0,3.0,4.0]");
    assertThat(response.has("id")).isFalse();
  }

  @Test
  void rawBinaryRequestFeedsTheSingleInput() throws Exception {
    ByteBuffer body = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 1; i <= 6; i++) {
      body.putFloat(i);
    }
    HttpResponse<byte[]> response =
        server.postBytes(
            "/v2/models/rows/infer",
            body.array(),
            "Inference-Header-Content-Length",
            "0",
            "Content-Type",
            "application/octet-stream");
    assertThat(response.statusCode()).isEqualTo(200);
    int jsonLength =
        Integer.parseInt(
            response.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
    JsonNode header =
        MAPPER.readTree(new String(response.body(), 0, jsonLength, StandardCharsets.UTF_8));
    assertThat(header.get("outputs").get(0).get("shape").toString()).isEqualTo("[2,3]");
    assertThat(header.get("outputs").get(0).get("parameters").get("binary_data_size").asInt())
        .isEqualTo(24);
    assertThat(java.util.Arrays.copyOfRange(response.body(), jsonLength, response.body().length))
        .isEqualTo(body.array());
  }

  @Test
  void requestWithoutContentTypeIsAccepted() throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(server.uri("/v2/models/rows/infer"))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],\"datatype\":\"FP32\",\"parameters\":{},\"data\":[1.0E-8,2,3]}]}"))
            .build();
    HttpResponse<String> response = server.send(request);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(json(response).fieldNames())
        .toIterable()
        .containsExactly("model_name", "model_version", "outputs");
  }

  @Test
  void aLargeJsonBodyLabelledAsAFormIsStillJson() throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      rows.append(i == 0 ? "" : ",").append("1.2345,2.3456,3.4567");
    }
    HttpResponse<String> response =
        server.send(
            HttpRequest.newBuilder(server.uri("/v2/models/rows/infer"))
                .header("Content-Type", "application/x-www-form-urlencoded") // what `curl -d` sends
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[2000,3],\"datatype\":\"FP32\",\"data\":["
                            + rows
                            + "]}]}"))
                .build());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
  }

  @Test
  void v1ListsReadinessAndPredicts() throws Exception {
    assertThat(json(server.get("/v1/models")).get("models"))
        .extracting(JsonNode::asText)
        .containsExactly("softmax", "rows", "slow", "pairs");
    assertThat(json(server.get("/vision/v1/models")).get("models"))
        .extracting(JsonNode::asText)
        .containsExactly("softmax", "rows");
    assertThat(json(server.get("/v1/models/rows")).get("ready").asBoolean()).isTrue();
    JsonNode stacked =
        json(server.post("/vision/v1/models/rows:predict", "{\"instances\":[[1,2,3],[4,5,6]]}"));
    assertThat(stacked.get("predictions").toString()).isEqualTo("[[1.0,2.0,3.0],[4.0,5.0,6.0]]");
    JsonNode keyed =
        json(
            server.post(
                "/v1/models/pairs:predict",
                "{\"instances\":[{\"x\":[1,2],\"s\":\"a\"},{\"x\":[3,4],\"s\":\"b\"}]}"));
    assertThat(keyed.get("predictions").toString())
        .isEqualTo("[{\"x\":[1.0,2.0],\"s\":\"a\"},{\"x\":[3.0,4.0],\"s\":\"b\"}]");
  }

  @Test
  void unloadDrainsInFlightRequestsThenLoadBringsTheModelBack() throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[7]}]}";
    CompletableFuture<HttpResponse<String>> inFlight =
        server
            .http()
            .sendAsync(
                HttpRequest.newBuilder(server.uri("/v2/models/slow/infer"))
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (server.server().engine().registry().find("slow").orElseThrow().inFlight() == 0
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    long servedBefore =
        server
            .server()
            .engine()
            .registry()
            .find("slow")
            .orElseThrow()
            .statistics()
            .success()
            .count();
    HttpResponse<String> unload = server.adminPost("/v2/repository/models/slow/unload", "");
    assertThat(
            server
                .server()
                .engine()
                .registry()
                .find("slow")
                .orElseThrow()
                .statistics()
                .success()
                .count())
        .as("unload answered only after the in-flight request had run to completion")
        .isEqualTo(servedBefore + 1);
    assertThat(inFlight.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(unload.statusCode()).isEqualTo(200);
    assertThat(json(unload).toString()).isEqualTo("{\"name\":\"slow\",\"unload\":true}");
    assertThat(server.post("/v2/models/slow/infer", body).statusCode()).isEqualTo(503);

    JsonNode index = json(server.post("/v2/repository/index", "{}"));
    JsonNode slow = null;
    for (JsonNode entry : index) {
      if (entry.get("name").asText().equals("slow")) {
        slow = entry;
      }
    }
    assertThat(slow).isNotNull();
    assertThat(slow.get("state").asText()).isEqualTo("UNAVAILABLE");
    assertThat(json(server.post("/v2/repository/index", "{\"ready\":true}")))
        .extracting(e -> e.get("name").asText())
        .doesNotContain("slow");
    RepositoryIndexResponse grpcIndex =
        server.grpc().repositoryIndex(RepositoryIndexRequest.getDefaultInstance());
    assertThat(grpcIndex.getModelsList())
        .anySatisfy(
            m -> {
              assertThat(m.getName()).isEqualTo("slow");
              assertThat(m.getState()).isEqualTo("UNAVAILABLE");
            });

    server
        .grpcAsAdmin()
        .repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("slow").build());
    assertThat(server.post("/v2/models/slow/infer", body).statusCode()).isEqualTo(200);
    server
        .grpcAsAdmin()
        .repositoryModelUnload(
            RepositoryModelUnloadRequest.newBuilder().setModelName("slow").build());
    assertThat(server.get("/v2/models/slow/ready").statusCode()).isEqualTo(503);
    assertThat(json(server.adminPost("/v2/repository/models/slow/load", "")).toString())
        .isEqualTo("{\"name\":\"slow\",\"load\":true}");
    assertThat(server.get("/v2/models/slow/ready").statusCode()).isEqualTo(200);
    assertThat(server.adminPost("/v2/repository/models/nope/load", "").statusCode()).isEqualTo(404);
  }

  @Test
  void statisticsCountSuccessesAndFailures() throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}";
    JsonNode before = json(server.get("/v2/models/rows/stats")).get("model_stats").get(0);
    server.post("/v2/models/rows/infer", body);
    server.post("/v2/models/rows/infer", body);
    server.post(
        "/v2/models/rows/infer", body.replace("[1,3]", "[1,4]").replace("[1,2,3]", "[1,2,3,4]"));
    JsonNode after = json(server.get("/v2/models/rows/versions/1/stats")).get("model_stats").get(0);
    assertThat(after.get("name").asText()).isEqualTo("rows");
    assertThat(after.get("inference_count").asLong() - before.get("inference_count").asLong())
        .isEqualTo(2);
    assertThat(after.get("execution_count").asLong() - before.get("execution_count").asLong())
        .isEqualTo(2);
    JsonNode stats = after.get("inference_stats");
    assertThat(
            stats.get("success").get("count").asLong()
                - before.get("inference_stats").get("success").get("count").asLong())
        .isEqualTo(2);
    assertThat(
            stats.get("fail").get("count").asLong()
                - before.get("inference_stats").get("fail").get("count").asLong())
        .isEqualTo(1);
    assertThat(stats.get("compute_infer").get("ns").asLong()).isPositive();
    assertThat(after.get("last_inference").asLong()).isGreaterThan(0);
    assertThat(json(server.get("/v2/models/stats")).get("model_stats")).hasSize(4);
    assertThat(json(server.get("/vision/v2/models/stats")).get("model_stats")).hasSize(2);
  }

  @Test
  void metricsExposeRequestCountsAndLatencyHistogramsPerModelAndProtocol() {
    server.post(
        "/v2/models/rows/infer",
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}");
    server.post("/v1/models/rows:predict", "{\"instances\":[[1,2,3]]}");
    HttpResponse<String> metrics = server.get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain");
    assertThat(metrics.body())
        .containsPattern(
            "sluice_requests_total\\{code=\"200\",model=\"rows\",protocol=\"v2-rest\"} [1-9]")
        .containsPattern(
            "sluice_requests_total\\{code=\"200\",model=\"rows\",protocol=\"v1-rest\"} [1-9]")
        .contains(
            "sluice_request_duration_seconds_bucket{code=\"200\",model=\"rows\",protocol=\"v2-rest\",le=");
  }
}
