package io.sluice.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.server.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code server.accessLog}: one JSON line per request on standard output. */
class AccessLogTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void eachRequestIsOneJsonLineWithItsIdModelRevisionStatusAndSizes(@TempDir Path dir)
      throws Exception {
    String body =
        "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try (TestServer server =
        TestServer.start(
            dir,
            TestServer.echoConfig(
                dir,
                "echo",
                "INPUT0:FP32:-1",
                "server: {accessLog: true, auth: {apiKeys: [access-log-test-key-0123456789]}}"))) {
      var ok =
          server.send(
              HttpRequest.newBuilder(server.uri("/echo/v2/models/echo/infer"))
                  .header("Authorization", "Bearer access-log-test-key-0123456789")
                  .header("x-request-id", "req-42")
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("x-sluice-revision")).hasValue("1");
      var refused = server.post("/v2/models/echo/infer", body);
      assertThat(refused.statusCode()).isEqualTo(401);
      assertThat(refused.headers().firstValue("x-request-id"))
          .as("generated when the client sent none")
          .isPresent();
      Thread.sleep(200);
    } finally {
      System.setOut(original);
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : captured.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("{")) {
        lines.add(MAPPER.readTree(line));
      }
    }
    JsonNode served =
        lines.stream()
            .filter(l -> l.get("requestId").asText().equals("req-42"))
            .findFirst()
            .orElseThrow();
    assertThat(served.get("method").asText()).isEqualTo("POST");
    assertThat(served.get("path").asText()).isEqualTo("/echo/v2/models/echo/infer");
    assertThat(served.get("application").asText()).isEqualTo("echo");
    assertThat(served.get("model").asText()).isEqualTo("echo");
    assertThat(served.get("revision").asText()).isEqualTo("1");
    assertThat(served.get("status").asInt()).isEqualTo(200);
    assertThat(served.get("bytesIn").asLong()).isEqualTo(body.length());
    assertThat(served.get("bytesOut").asLong()).isPositive();
    assertThat(served.get("durationMs").asDouble()).isPositive();
    assertThat(served.toString()).doesNotContain("access-log-test-key");
    assertThat(lines)
        .anySatisfy(
            l -> {
              assertThat(l.get("status").asInt()).isEqualTo(401);
              assertThat(l.get("path").asText()).isEqualTo("/v2/models/echo/infer");
            });
  }
}
