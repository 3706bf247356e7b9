package io.sluice.protocol.kserve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.DataType;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.RequestTimeoutException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.engine.client.ModelState;
import io.sluice.http.ModelScope;
import io.sluice.http.testing.FakeEngine;
import io.sluice.http.testing.RouteHarness;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The KServe routes alone, on a fake engine: what they decode, what they answer, how failures map.
 */
class KServeProtocolTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ModelMetadata DOUBLER =
      new ModelMetadata(
          "doubler",
          List.of("1"),
          "test",
          List.of(new TensorMetadata("x", DataType.FP32, new long[] {-1}, false)),
          List.of(new TensorMetadata("y", DataType.FP32, new long[] {-1}, false)));

  private final FakeEngine engine =
      new FakeEngine()
          .model("app", "doubler", ModelState.READY, DOUBLER)
          .onInfer(
              request -> {
                ByteBuffer in = request.inputs().getFirst().data();
                ByteBuffer out = ByteBuffer.allocate(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
                while (in.hasRemaining()) {
                  out.putFloat(2 * in.getFloat());
                }
                Tensor y =
                    Tensor.of("y", DataType.FP32, request.inputs().getFirst().shape(), out.flip());
                return CompletableFuture.completedFuture(
                    new InferResponse("doubler", "1", request.id(), List.of(y), 1));
              });

  private RouteHarness serve(FakeEngine engine) throws Exception {
    KServeProtocol kserve =
        new KServeProtocol(
            engine,
            new ServerInfo("sluice", "test", ServerInfo.V2_EXTENSIONS),
            (model, protocol, code, nanos) -> {});
    return new RouteHarness(router -> kserve.mount(router, ModelScope.global(engine)));
  }

  @Test
  void aV2JsonRequestIsDecodedIntoTensorsAndTheAnswerEncoded() throws Exception {
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> response =
          http.post(
              "/v2/models/doubler/infer",
              "{\"id\":\"r1\",\"inputs\":[{\"name\":\"x\",\"shape\":[3],\"datatype\":\"FP32\",\"data\":[1.5,-2,4]}]}");
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      Tensor sent = engine.inferred.getFirst().inputs().getFirst();
      assertThat(sent.name()).isEqualTo("x");
      assertThat(sent.shape()).containsExactly(3);
      ByteBuffer data = sent.data();
      assertThat(new float[] {data.getFloat(), data.getFloat(), data.getFloat()})
          .containsExactly(1.5f, -2f, 4f);
      JsonNode answer = MAPPER.readTree(response.body());
      assertThat(answer.get("id").asText()).isEqualTo("r1");
      assertThat(answer.get("model_name").asText()).isEqualTo("doubler");
      JsonNode y = answer.get("outputs").get(0);
      assertThat(y.get("name").asText()).isEqualTo("y");
      assertThat(y.get("datatype").asText()).isEqualTo("FP32");
      assertThat(y.get("data").toString()).isEqualTo("[3.0,-4.0,8.0]");
    }
  }

  @Test
  void engineFailuresBecomeTheirV2Statuses() throws Exception {
    List<Object[]> cases =
        List.of(
            new Object[] {new InvalidInputException("bad x"), 400},
            new Object[] {new ServerOverloadedException("queue full", Duration.ofSeconds(3)), 503},
            new Object[] {new RequestTimeoutException("too slow"), 504},
            new Object[] {new IllegalStateException("a bug"), 500});
    for (Object[] failure : cases) {
      FakeEngine failing =
          new FakeEngine()
              .model("app", "doubler", ModelState.READY, DOUBLER)
              .onInfer(request -> CompletableFuture.failedFuture((Throwable) failure[0]));
      try (RouteHarness http = serve(failing)) {
        HttpResponse<String> response =
            http.post(
                "/v2/models/doubler/infer",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}");
        assertThat(response.statusCode()).as(failure[0].toString()).isEqualTo(failure[1]);
        assertThat(MAPPER.readTree(response.body()).get("error").asText())
            .isNotBlank()
            .doesNotContain("Exception");
      }
    }
  }

  @Test
  void malformedRequestsAre400sAndUnknownModels404s() throws Exception {
    try (RouteHarness http = serve(engine)) {
      assertThat(http.post("/v2/models/doubler/infer", "{\"inputs\":[{\"name\":\"x\"").statusCode())
          .isEqualTo(400);
      assertThat(
              http.post(
                      "/v2/models/doubler/infer",
                      "{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1]}]}")
                  .statusCode())
          .as("two elements promised, one sent")
          .isEqualTo(400);
      assertThat(
              http.post(
                      "/v2/models/nope/infer",
                      "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}")
                  .statusCode())
          .isEqualTo(404);
      assertThat(engine.inferred).as("an unknown name is refused before the engine runs").isEmpty();
    }
  }

  @Test
  void healthMetadataAndStatisticsComeFromTheEngine() throws Exception {
    FakeEngine loading =
        new FakeEngine()
            .model("app", "doubler", ModelState.READY, DOUBLER)
            .model("app", "later", ModelState.LOADING, null);
    try (RouteHarness http = serve(loading)) {
      assertThat(http.get("/v2/health/live").statusCode()).isEqualTo(200);
      assertThat(http.get("/v2/health/ready").statusCode())
          .as("a model is still loading")
          .isEqualTo(503);
      assertThat(http.get("/v2/models/doubler/ready").statusCode()).isEqualTo(200);
      assertThat(http.get("/v2/models/later/ready").statusCode()).isEqualTo(503);
      JsonNode metadata = MAPPER.readTree(http.get("/v2/models/doubler").body());
      assertThat(metadata.get("inputs").get(0).get("name").asText()).isEqualTo("x");
      JsonNode stats = MAPPER.readTree(http.get("/v2/models/stats").body()).get("model_stats");
      assertThat(stats)
          .extracting(model -> model.get("name").asText())
          .containsExactly("doubler", "later");
    }
  }
}
