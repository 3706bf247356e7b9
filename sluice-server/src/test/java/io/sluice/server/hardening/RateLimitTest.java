package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.server.TestServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token buckets per API key and per application, and concurrent generations per key: 429 with
 * Retry-After.
 */
class RateLimitTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String KEY = "sk-limited-0123456789abcdef";
  private static final String OTHER_KEY = "sk-another-0123456789abcdef";
  private static final String INFER =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";

  private static HttpRequest post(TestServer server, String path, String body, String key) {
    return HttpRequest.newBuilder(server.uri(path))
        .timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + key)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  @Test
  void aKeyOverItsRateGets429WithRetryAfter(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    try (TestServer server =
        TestServer.start(
            dir,
            """
        server:
          auth: {apiKeys: ['%s', '%s']}
          rateLimit: {requestsPerSecond: 0.2, burst: 2}
        applications:
          - name: app
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s'}
              - {name: text, runtime: test-echo-text, storageUri: '%s'}
        """
                .formatted(KEY, OTHER_KEY, placeholder, placeholder))) {
      assertThat(server.send(post(server, "/v2/models/echo/infer", INFER, KEY)).statusCode())
          .isEqualTo(200);
      assertThat(server.send(post(server, "/v2/models/echo/infer", INFER, KEY)).statusCode())
          .isEqualTo(200);
      HttpResponse<String> limited = server.send(post(server, "/v2/models/echo/infer", INFER, KEY));
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(Integer.parseInt(limited.headers().firstValue("retry-after").orElseThrow()))
          .isBetween(1, 5);
      HttpResponse<String> openAi =
          server.send(
              post(
                  server,
                  "/app/v1/chat/completions",
                  "{\"model\":\"text\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                  KEY));
      assertThat(openAi.statusCode()).isEqualTo(429);
      assertThat(MAPPER.readTree(openAi.body()).get("error").get("code").asText())
          .isEqualTo("rate_limit_exceeded");
      assertThat(server.send(post(server, "/v2/models/echo/infer", INFER, OTHER_KEY)).statusCode())
          .as("another key has its own bucket")
          .isEqualTo(200);
    }
  }

  @Test
  void anApplicationOverItsRateGets429(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    try (TestServer server =
        TestServer.start(
            dir,
            """
        applications:
          - name: app
            rateLimit: {requestsPerSecond: 0.2, burst: 3}
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s'}
        """
                .formatted(placeholder))) {
      int refused = 0;
      for (int i = 0; i < 5; i++) {
        if (server.post("/app/v2/models/echo/infer", INFER).statusCode() == 429) {
          refused++;
        }
      }
      assertThat(refused).isEqualTo(2);
    }
  }

  @Test
  void aKeyRunsAtMostItsConcurrentGenerations(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    try (TestServer server =
        TestServer.start(
            dir,
            """
        server:
          auth: {apiKeys: ['%s', '%s']}
          rateLimit: {maxConcurrentGenerations: 1}
        applications:
          - name: app
            deployments:
              - {name: text, runtime: test-echo-text, storageUri: '%s', settings: {tokenDelayMs: '100'}}
        """
                .formatted(KEY, OTHER_KEY, placeholder))) {
      String chat =
          "{\"model\":\"text\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"one two three four five six\"}]}";
      // The stream's headers come once the generation holds the key's slot: no sleeping and hoping.
      HttpResponse<java.util.stream.Stream<String>> first =
          server
              .http()
              .send(
                  post(server, "/v1/chat/completions", chat, KEY),
                  HttpResponse.BodyHandlers.ofLines());
      CompletableFuture<List<String>> firstLines =
          CompletableFuture.supplyAsync(() -> first.body().toList());
      HttpResponse<String> second = server.send(post(server, "/v1/chat/completions", chat, KEY));
      assertThat(second.statusCode()).isEqualTo(429);
      assertThat(server.send(post(server, "/v1/chat/completions", chat, OTHER_KEY)).statusCode())
          .isEqualTo(200);
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(firstLines.get(60, TimeUnit.SECONDS)).contains("data: [DONE]");
      assertThat(server.send(post(server, "/v1/chat/completions", chat, KEY)).statusCode())
          .as("the generation's end gave its slot back")
          .isEqualTo(200);
    }
  }
}
