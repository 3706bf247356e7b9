package io.sluice.runtime.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The runtime alone against an OpenAI-compatible server on loopback that answers as vLLM and
 * llama-server do: what it sends upstream, how it reads the stream, how the upstream's refusals
 * become Sluice's errors.
 */
class OpenAiUpstreamRuntimeTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private HttpServer upstream;
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private volatile int status = 200;
  private volatile List<String> events =
      List.of(
          "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}",
          "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Bon\"}}]}",
          "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"jour\"},\"finish_reason\":\"length\"}]}",
          "{\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":2}}");

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    upstream.createContext(
        "/v1/models",
        exchange ->
            reply(
                exchange,
                200,
                "application/json",
                "{\"object\":\"list\",\"data\":[{\"id\":\"qwen-upstream\",\"object\":\"model\"}]}"));
    upstream.createContext("/v1/chat/completions", this::complete);
    upstream.createContext("/v1/completions", this::complete);
    upstream.start();
  }

  @AfterEach
  void stopUpstream() {
    upstream.stop(0);
  }

  private void complete(HttpExchange exchange) throws IOException {
    received.add(MAPPER.readTree(exchange.getRequestBody().readAllBytes()));
    if (status != 200) {
      reply(
          exchange,
          status,
          "application/json",
          "{\"error\":{\"message\":\"upstream says no\",\"type\":\"x\"}}");
      return;
    }
    StringBuilder body = new StringBuilder();
    events.forEach(event -> body.append("data: ").append(event).append("\n\n"));
    body.append("data: [DONE]\n\n");
    reply(exchange, 200, "text/event-stream", body.toString());
  }

  private static void reply(HttpExchange exchange, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private GenerativeModel load(Map<String, String> settings) throws ModelLoadException {
    LoadedModel model =
        new OpenAiUpstreamRuntime().load(new ModelSource("llm", "1", Path.of("."), settings));
    return (GenerativeModel) model;
  }

  private String url() {
    return "http://127.0.0.1:" + upstream.getAddress().getPort() + "/v1";
  }

  private static GenerateRequest chat(String text) {
    return new GenerateRequest(
        "llm",
        null,
        null,
        List.of(new GenerateRequest.ChatMessage("user", text)),
        5,
        0.5f,
        null,
        List.of("\n"),
        7L);
  }

  @Test
  void aChatIsStreamedUpstreamAndItsDeltasUsageAndFinishComeBack() throws Exception {
    GenerativeModel model = load(Map.of("url", url()));
    List<String> pieces = new ArrayList<>();
    GenerateResult result =
        model.generate(chat("hello"), piece -> pieces.add(piece.text()), () -> false);
    assertThat(pieces).containsExactly("Bon", "jour");
    assertThat(result).isEqualTo(new GenerateResult("length", 11, 2));
    JsonNode sent = received.getFirst();
    assertThat(sent.get("model").asText())
        .as("the upstream's first listed model")
        .isEqualTo("qwen-upstream");
    assertThat(sent.get("messages").toString())
        .isEqualTo("[{\"role\":\"user\",\"content\":\"hello\"}]");
    assertThat(sent.get("max_tokens").asInt()).isEqualTo(5);
    assertThat(sent.get("temperature").asDouble()).isEqualTo(0.5);
    assertThat(sent.get("seed").asLong()).isEqualTo(7);
    assertThat(sent.get("stop").toString()).isEqualTo("[\"\\n\"]");
    assertThat(sent.get("stream").asBoolean()).isTrue();
    assertThat(sent.at("/stream_options/include_usage").asBoolean()).isTrue();
    model.close();
  }

  @Test
  void aPromptGoesToCompletionsUnderTheConfiguredModelName() throws Exception {
    events = List.of("{\"choices\":[{\"index\":0,\"text\":\"42\",\"finish_reason\":\"stop\"}]}");
    GenerativeModel model = load(Map.of("url", url(), "model", "named"));
    List<String> pieces = new ArrayList<>();
    GenerateResult result =
        model.generate(
            new GenerateRequest("llm", null, "6 x 7 =", null, 3, null, null, null, null),
            piece -> pieces.add(piece.text()),
            () -> false);
    assertThat(pieces).containsExactly("42");
    assertThat(result.finishReason()).isEqualTo("stop");
    assertThat(result.completionTokens()).as("no usage sent: the pieces are counted").isEqualTo(1);
    assertThat(received.getFirst().get("prompt").asText()).isEqualTo("6 x 7 =");
    assertThat(received.getFirst().get("model").asText()).isEqualTo("named");
  }

  @Test
  void theUpstreamsRefusalsBecomeSluiceErrors() throws Exception {
    GenerativeModel model = load(Map.of("url", url(), "model", "m"));
    status = 400;
    assertThatThrownBy(() -> model.generate(chat("x"), piece -> {}, () -> false))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("upstream says no");
    status = 429;
    assertThatThrownBy(() -> model.generate(chat("x"), piece -> {}, () -> false))
        .isInstanceOf(ServerOverloadedException.class);
    status = 500;
    assertThatThrownBy(() -> model.generate(chat("x"), piece -> {}, () -> false))
        .isInstanceOf(InferenceFailedException.class)
        .hasMessageContaining("(500)");
    status = 200;
    events = List.of("{\"error\":{\"message\":\"out of memory\"}}");
    assertThatThrownBy(() -> model.generate(chat("x"), piece -> {}, () -> false))
        .isInstanceOf(InferenceFailedException.class)
        .hasMessageContaining("out of memory");
    upstream.stop(0);
    assertThatThrownBy(() -> model.generate(chat("x"), piece -> {}, () -> false))
        .as("gone: a 503 to retry")
        .isInstanceOf(ModelNotReadyException.class);
  }

  @Test
  void settingsAreCheckedAtLoad() {
    assertThatThrownBy(() -> load(Map.of()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("exactly one");
    assertThatThrownBy(() -> load(Map.of("url", url(), "command", "true")))
        .isInstanceOf(ModelLoadException.class);
  }
}
