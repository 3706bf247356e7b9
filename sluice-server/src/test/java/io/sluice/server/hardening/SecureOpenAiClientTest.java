package io.sluice.server.hardening;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.server.TestServer;
import io.sluice.storage.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official {@code openai} npm package over HTTPS (trusting a test CA) with an API key,
 * streaming included.
 */
class SecureOpenAiClientTest {
  private static final Path CLIENT = Path.of("src/test/node");
  private static final String KEY = "sk-node-client-0123456789";

  @Test
  void theOpenAiSdkTalksHttpsWithAKey(@TempDir Path dir) throws Exception {
    require(
        Files.isDirectory(CLIENT.resolve("node_modules/openai")),
        "npm packages missing: bin/install-test-deps runs npm ci in " + CLIENT);
    TestCertificates authority = new TestCertificates();
    TestCertificates.write(
        authority.server("sluice"), dir.resolve("server.pem"), dir.resolve("server.key"));
    authority.writeCa(dir.resolve("ca.pem"));
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    try (TestServer server =
        TestServer.start(
            dir,
            """
        server:
          tls: {certificate: server.pem, key: server.key}
          auth: {apiKeys: ['%s']}
        applications:
          - name: llm
            deployments:
              - {name: text, runtime: test-echo-text, storageUri: '%s'}
        """
                .formatted(KEY, placeholder))) {
      ProcessBuilder builder =
          new ProcessBuilder(
                  "node",
                  "openai-secure.mjs",
                  "https://localhost:" + server.server().port() + "/llm/v1",
                  "text",
                  KEY)
              .directory(CLIENT.toFile())
              .redirectErrorStream(true);
      builder.environment().put("NODE_EXTRA_CA_CERTS", dir.resolve("ca.pem").toString());
      Process node = builder.start();
      String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(node.exitValue()).as(output).isZero();
      JsonNode results =
          new ObjectMapper().readTree(output.lines().reduce((a, b) -> b).orElseThrow());
      assertThat(results.get("whole").asText()).isEqualTo("secure hello world");
      assertThat(results.get("streamed").asText()).isEqualTo("streamed over tls");
      assertThat(results.get("wrongKey").get("status").asInt()).isEqualTo(401);
      assertThat(results.get("wrongKey").get("code").asText()).isEqualTo("invalid_api_key");
      assertThat(results.get("wrongKey").get("name").asText()).isEqualTo("AuthenticationError");
    }
  }
}
