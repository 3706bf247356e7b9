package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The seed's GPU layout on declared devices, and a deployment that does not fit. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlacementTest {
  private static final String TOKEN = "placement-admin-token-42";
  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    String model = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server: {adminToken: %2$s}
        accelerators:
          - {id: gpu0, vendor: nvidia, memory: 8Gi}
          - {id: gpu1, vendor: nvidia, memory: 8Gi}
          - {id: gpu2, vendor: nvidia, memory: 8Gi}
        applications:
          - name: voice
            deployments:
              - {name: whisper, runtime: test-echo, storageUri: '%1$s', resources: {gpus: 0.5, gpuMemory: 3Gi}}
              - {name: tts, runtime: test-echo, storageUri: '%1$s', resources: {gpus: 0.5, gpuMemory: 3Gi}}
          - name: embeddings
            deployments:
              - {name: embeddings, runtime: test-echo, storageUri: '%1$s', resources: {gpus: 0.8, gpuMemory: 2Gi}}
          - name: llm
            deployments:
              - {name: llm, runtime: test-echo, storageUri: '%1$s', resources: {gpus: 0.95, gpuMemory: 7Gi}}
          - name: greedy
            deployments:
              - {name: greedy, runtime: test-echo, storageUri: '%1$s', resources: {gpus: 0.5, gpuMemory: 1Gi}}
        """
                .formatted(model, TOKEN));
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private JsonNode status() throws Exception {
    return MAPPER.readTree(
        server
            .send(
                HttpRequest.newBuilder(server.uri("/api/v1/status"))
                    .header("Authorization", "Bearer " + TOKEN)
                    .GET()
                    .build())
            .body());
  }

  @Test
  void theSeedLayoutIsPackedAndTheOverFullDeploymentWaitsWithItsReason() throws Exception {
    JsonNode status = status();
    Map<String, JsonNode> deployments = new HashMap<>();
    for (JsonNode app : status.get("applications")) {
      for (JsonNode deployment : app.get("deployments")) {
        deployments.put(deployment.get("name").asText(), deployment);
      }
    }
    String whisper =
        deployments
            .get("whisper")
            .get("revisions")
            .get(0)
            .get("replicas")
            .get(0)
            .get("placement")
            .asText();
    String tts =
        deployments
            .get("tts")
            .get("revisions")
            .get(0)
            .get("replicas")
            .get(0)
            .get("placement")
            .asText();
    String embeddings =
        deployments
            .get("embeddings")
            .get("revisions")
            .get(0)
            .get("replicas")
            .get(0)
            .get("placement")
            .asText();
    String llm =
        deployments
            .get("llm")
            .get("revisions")
            .get(0)
            .get("replicas")
            .get(0)
            .get("placement")
            .asText();
    assertThat(whisper).endsWith(" x0.5").isEqualTo(tts);
    assertThat(embeddings).endsWith(" x0.8");
    assertThat(llm).endsWith(" x0.95");
    assertThat(
            java.util.Set.of(
                whisper.substring(0, 4), embeddings.substring(0, 4), llm.substring(0, 4)))
        .hasSize(3);

    JsonNode greedy = deployments.get("greedy");
    assertThat(greedy.get("state").asText()).isEqualTo("LOADING");
    assertThat(greedy.get("reason").asText())
        .contains("waits for placement: no accelerator has room for gpus=0.5");
    assertThat(greedy.get("revisions").get(0).get("replicas").get(0).get("state").asText())
        .isEqualTo("PENDING");
    for (JsonNode device : status.get("accelerators")) {
      assertThat(device.get("shareInUse").asDouble()).isLessThanOrEqualTo(1.0);
    }
    assertThat(status.get("ready").asBoolean())
        .as("a model waiting for a GPU keeps the server unready")
        .isFalse();
    assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(503);
    String body =
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";
    assertThat(server.post("/v2/models/whisper/infer", body).statusCode()).isEqualTo(200);
  }
}
