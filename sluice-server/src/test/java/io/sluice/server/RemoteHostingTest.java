package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.engine.replica.ReplicaState;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Remote replicas: a deployment served by an upstream V2 server (here, another Sluice). */
class RemoteHostingTest {
  @Test
  void aRemoteDeploymentProxiesToItsUpstreamAndSurvivesItsLoss(
      @TempDir Path upDir, @TempDir Path frontDir) throws Exception {
    String model = Files.writeString(upDir.resolve("m"), "echo").toUri().toString();
    TestServer upstream =
        TestServer.start(
            upDir,
            """
        applications:
          - name: up
            deployments:
              - {name: up, runtime: test-echo, storageUri: '%s', version: "5", settings: {inputs: 'x:FP32:-1,2;s:BYTES:-1'}}
        """
                .formatted(model));
    String local = Files.writeString(frontDir.resolve("m"), "echo").toUri().toString();
    try (TestServer front =
        TestServer.start(
            frontDir,
            """
        server: {autoscalerInterval: 100ms}
        applications:
          - name: edge
            deployments:
              - {name: proxy, hosting: remote, storageUri: '%s', settings: {model: up}, numReplicas: 2}
              - {name: local, runtime: test-echo, storageUri: '%s'}
        """
                .formatted(upstream.uri("").toString(), local))) {
      JsonNode metadata = MAPPER.readTree(front.get("/v2/models/proxy").body());
      assertThat(metadata.get("inputs").get(0).toString())
          .isEqualTo("{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,2]}");
      assertThat(metadata.get("platform").asText()).isEqualTo("remote:sluice_test_echo");

      String body =
          "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1.5,-2]},"
              + "{\"name\":\"s\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"héllo\"]}]}";
      HttpResponse<String> response = front.post("/edge/v2/models/proxy/infer", body);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode outputs = MAPPER.readTree(response.body()).get("outputs");
      assertThat(outputs.get(0).get("data").toString()).isEqualTo("[1.5,-2.0]");
      assertThat(outputs.get(1).get("data").toString()).isEqualTo("[\"héllo\"]");
      assertThat(
              MAPPER
                  .readTree(upstream.get("/v2/models/up/stats").body())
                  .get("model_stats")
                  .get(0)
                  .get("inference_count")
                  .asLong())
          .isEqualTo(1);

      HttpResponse<String> rejected =
          front.post("/v2/models/proxy/infer", body.replace("héllo", "test:reject"));
      assertThat(rejected.statusCode()).isEqualTo(400);
      assertThat(MAPPER.readTree(rejected.body()).get("error").asText())
          .contains("injected rejection");

      upstream.close();
      HttpResponse<String> lost = front.post("/v2/models/proxy/infer", body);
      assertThat(lost.statusCode()).as(lost.body()).isEqualTo(503);
      assertThat(MAPPER.readTree(lost.body()).get("error").asText()).contains("unreachable");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (front.server().engine().registry().find("proxy").orElseThrow().replicas().stream()
          .anyMatch(r -> r.state() == ReplicaState.READY)) {
        assertThat(System.nanoTime())
            .as("health checks mark the unreachable upstream")
            .isLessThan(deadline);
        Thread.sleep(50);
      }
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (!front.server().engine().registry().find("proxy").orElseThrow().replicas().stream()
          .allMatch(r -> r.crashLooping())) {
        assertThat(System.nanoTime())
            .as("restarts fail while the upstream is gone")
            .isLessThan(deadline);
        Thread.sleep(50);
      }
      HttpResponse<String> down = front.post("/v2/models/proxy/infer", body);
      assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
      assertThat(MAPPER.readTree(down.body()).get("error").asText())
          .contains("no working replica", "unreachable");
      assertThat(
              front
                  .post(
                      "/v2/models/local/infer",
                      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}")
                  .statusCode())
          .isEqualTo(200);
    }
  }
}
