package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import io.sluice.runtime.upstream.OpenAiUpstreamRuntime;
import io.sluice.server.cli.SluiceCommand;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code openai-upstream} runtime in front of a local upstream: a second Sluice serving the
 * tiny random llama, reached by URL, and a third one the runtime starts itself with {@code
 * command}. With greedy decoding the front and the upstream give the same text and counts.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenAiUpstreamTest {
  private static final String CHAT =
      "{\"model\":\"%s\",\"max_tokens\":8,\"temperature\":0,\"seed\":1,"
          + "\"messages\":[{\"role\":\"user\",\"content\":\"How fast is the water?\"}]%s}";
  private TestServer upstream;
  private TestServer front;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path gguf = dir.resolve("tiny.gguf");
    RandomModelWriter.writeTinyLlama(gguf, 64, 2);
    // a template whose answers start inside <think>: the whole answer is reasoning
    Files.writeString(
        dir.resolve("thinker.jinja"),
        "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
            + "{% endfor %}<|assistant|>\n<think>\n");
    String llama =
        """
        applications:
          - name: llm
            deployments:
              - {name: tiny, runtime: llama, storageUri: '%1$s', settings: {parallel: '2', ctxSize: '4096', threads: '1'}}
              - {name: thinker, runtime: llama, storageUri: '%1$s',
                 settings: {parallel: '1', ctxSize: '2048', threads: '1', chatTemplateFile: thinker.jinja}}
        """
            .formatted(gguf.toUri());
    Path launchedConfig = Files.writeString(dir.resolve("launched.yaml"), llama);
    upstream = TestServer.start(Files.createDirectories(dir.resolve("upstream")), llama);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String command =
        java
            + " --enable-native-access=ALL-UNNAMED -cp "
            + System.getProperty("java.class.path")
            + " "
            + SluiceCommand.class.getName()
            + " serve --config "
            + launchedConfig
            + " --port {port} --no-watch";
    front =
        TestServer.start(
            Files.createDirectories(dir.resolve("front")),
            """
        applications:
          - name: llm
            routePrefix: /llm
            deployments:
              - {name: via-url, runtime: openai-upstream, storageUri: '%s', settings: {url: '%s'}}
              - {name: misnamed, runtime: openai-upstream, storageUri: '%1$s', settings: {url: '%2$s', model: nope}}
              - {name: thinking-via-url, runtime: openai-upstream, storageUri: '%1$s', settings: {url: '%2$s', model: thinker}}
              - {name: launched, runtime: openai-upstream, storageUri: '%s', settings: {command: '%s', startTimeout: '60'}}
        """
                .formatted(gguf.toUri(), upstream.uri("/llm/v1"), gguf.toUri(), command));
  }

  @AfterAll
  void stop() {
    front.close();
    upstream.close();
  }

  @Test
  void chatThroughTheFrontMatchesTheUpstream() throws Exception {
    JsonNode direct =
        MAPPER.readTree(
            ok(upstream.post("/v1/chat/completions", CHAT.formatted("tiny", ""))).body());
    for (String model : new String[] {"via-url", "launched"}) {
      JsonNode proxied =
          MAPPER.readTree(
              ok(front.post("/llm/v1/chat/completions", CHAT.formatted(model, ""))).body());
      assertThat(proxied.get("model").asText()).isEqualTo(model);
      assertThat(proxied.at("/choices/0/message/content").asText())
          .isEqualTo(direct.at("/choices/0/message/content").asText());
      assertThat(proxied.at("/choices/0/finish_reason").asText()).isEqualTo("length");
      assertThat(proxied.get("usage")).isEqualTo(direct.get("usage"));
    }
  }

  @Test
  void anUpstreamsReasoningComesThroughAsReasoning() throws Exception {
    JsonNode direct =
        MAPPER.readTree(
            ok(upstream.post("/v1/chat/completions", CHAT.formatted("thinker", ""))).body());
    JsonNode proxied =
        MAPPER.readTree(
            ok(front.post("/llm/v1/chat/completions", CHAT.formatted("thinking-via-url", "")))
                .body());
    assertThat(direct.at("/choices/0/message/reasoning_content").asText()).isNotBlank();
    assertThat(proxied.at("/choices/0/message/reasoning_content").asText())
        .isEqualTo(direct.at("/choices/0/message/reasoning_content").asText());
    assertThat(proxied.at("/choices/0/message/content").asText())
        .isEqualTo(direct.at("/choices/0/message/content").asText());
  }

  @Test
  void streamsArriveAsTheUpstreamSendsThem() throws Exception {
    String direct =
        MAPPER
            .readTree(ok(upstream.post("/v1/chat/completions", CHAT.formatted("tiny", ""))).body())
            .at("/choices/0/message/content")
            .asText();
    String events =
        ok(front.post(
                "/v1/chat/completions",
                CHAT.formatted(
                    "via-url", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")))
            .body();
    StringBuilder text = new StringBuilder();
    int contentChunks = 0;
    JsonNode usage = null;
    for (String line : events.split("\n")) {
      if (line.startsWith("data: {")) {
        JsonNode event = MAPPER.readTree(line.substring(6));
        String piece = event.at("/choices/0/delta/content").asText("");
        if (!piece.isEmpty()) {
          contentChunks++;
          text.append(piece);
        }
        if (event.hasNonNull("usage")) {
          usage = event.get("usage");
        }
      }
    }
    assertThat(text.toString()).isEqualTo(direct);
    assertThat(contentChunks).isEqualTo(8);
    assertThat(usage.get("completion_tokens").asInt()).isEqualTo(8);
    assertThat(events).endsWith("data: [DONE]\n\n");
  }

  @Test
  void promptsStopStringsAndV2GenerateGoThrough() throws Exception {
    String prompt =
        "{\"model\":\"%s\",\"prompt\":\"The river\",\"max_tokens\":6,\"temperature\":0%s}";
    JsonNode direct =
        MAPPER.readTree(ok(upstream.post("/v1/completions", prompt.formatted("tiny", ""))).body());
    JsonNode proxied =
        MAPPER.readTree(ok(front.post("/v1/completions", prompt.formatted("via-url", ""))).body());
    String text = direct.at("/choices/0/text").asText();
    assertThat(proxied.at("/choices/0/text").asText()).isEqualTo(text);

    String stopAt = text.strip().split(" ")[1];
    JsonNode stopped =
        MAPPER.readTree(
            ok(front.post(
                    "/v1/completions",
                    prompt.formatted("via-url", ",\"stop\":[\"" + stopAt + "\"]")))
                .body());
    assertThat(stopped.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
    assertThat(stopped.at("/choices/0/text").asText()).doesNotContain(stopAt);

    JsonNode generated =
        MAPPER.readTree(
            ok(front.post(
                    "/v2/models/via-url/generate",
                    "{\"text_input\":\"The river\",\"parameters\":{\"max_tokens\":6,\"temperature\":0}}"))
                .body());
    assertThat(generated.get("text_output").asText()).isEqualTo(text);
  }

  @Test
  void badRequestsStopAtTheFrontAndUpstreamFaultsAreServerErrors() throws Exception {
    HttpResponse<String> noTokens =
        front.post(
            "/v1/chat/completions",
            CHAT.formatted("via-url", "").replace("\"max_tokens\":8", "\"max_tokens\":0"));
    assertThat(noTokens.statusCode()).isEqualTo(400);
    HttpResponse<String> misnamed =
        front.post("/v1/chat/completions", CHAT.formatted("misnamed", ""));
    assertThat(misnamed.statusCode())
        .as("the upstream has no model 'nope': Sluice's configuration, not the client, is wrong")
        .isEqualTo(500);
    assertThat(MAPPER.readTree(misnamed.body()).at("/error/message").asText())
        .contains("upstream failed (404)")
        .contains("nope");
  }

  @Test
  void aStartedUpstreamThatDiesAnswers503AndIsStartedAgain() throws Exception {
    ProcessHandle launched =
        ProcessHandle.current()
            .descendants()
            .filter(p -> commandLine(p).contains("launched.yaml"))
            .findFirst()
            .orElseThrow();
    launched.destroyForcibly();
    launched.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
    HttpResponse<String> down = front.post("/v1/chat/completions", CHAT.formatted("launched", ""));
    assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
    assertThat(down.body()).contains("upstream");
    assertThat(upstream.post("/v1/chat/completions", CHAT.formatted("tiny", "")).statusCode())
        .as("others never notice")
        .isEqualTo(200);

    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    HttpResponse<String> again = down;
    while (again.statusCode() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(250);
      again = front.post("/v1/chat/completions", CHAT.formatted("launched", ""));
    }
    assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
  }

  @Test
  void settingsAndUnreachableUpstreamsAreLoadErrors(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("m"), "x");
    OpenAiUpstreamRuntime runtime = new OpenAiUpstreamRuntime();
    assertThatThrownBy(() -> runtime.load(new ModelSource("m", "1", file, Map.of())))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("exactly one of");
    assertThatThrownBy(
            () ->
                runtime.load(new ModelSource("m", "1", file, Map.of("url", "http://127.0.0.1:1"))))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("does not answer");
    assertThatThrownBy(
            () ->
                runtime.load(
                    new ModelSource(
                        "m", "1", file, Map.of("command", "false", "startTimeout", "10"))))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("exited with code 1");
  }

  /** The process's command line from /proc: ProcessHandle.Info leaves it out for long ones. */
  private static String commandLine(ProcessHandle process) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"))
          .replace('\0', ' ');
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static HttpResponse<String> ok(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return response;
  }
}
