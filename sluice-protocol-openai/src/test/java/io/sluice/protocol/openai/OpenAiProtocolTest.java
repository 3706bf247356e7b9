package io.sluice.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.engine.client.ModelState;
import io.sluice.http.ModelScope;
import io.sluice.http.testing.FakeEngine;
import io.sluice.http.testing.RouteHarness;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The OpenAI routes alone, on a fake engine whose model writes "Hel" then "lo". */
class OpenAiProtocolTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String CHAT =
      "{\"model\":\"llm\",\"max_tokens\":7,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]%s}";

  private static final ModelMetadata LLM =
      new ModelMetadata("llm", List.of("1"), "test", List.of(), List.of());

  private final FakeEngine engine =
      new FakeEngine()
          .model("app", "llm", ModelState.READY, LLM)
          .onGenerate(
              (request, onText) -> {
                onText.accept(GeneratedText.of("Hel"));
                onText.accept(GeneratedText.of("lo"));
                return CompletableFuture.completedFuture(new GenerateResult("stop", 3, 2));
              });

  private static RouteHarness serve(FakeEngine engine) throws Exception {
    OpenAiProtocol openAi = new OpenAiProtocol(engine, (model, protocol, code, nanos) -> {});
    return new RouteHarness(router -> openAi.mount(router, ModelScope.global(engine)));
  }

  /** The JSON of every {@code data:} event but {@code [DONE]}, which must end the stream. */
  private static List<JsonNode> events(String body) throws Exception {
    List<JsonNode> events = new ArrayList<>();
    List<String> data =
        body.lines()
            .filter(line -> line.startsWith("data: "))
            .map(line -> line.substring(6))
            .toList();
    assertThat(data).last().isEqualTo("[DONE]");
    for (String event : data.subList(0, data.size() - 1)) {
      events.add(MAPPER.readTree(event));
    }
    return events;
  }

  @Test
  void aChatIsHandedToTheEngineAndAnsweredWithItsTextAndUsage() throws Exception {
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> response = http.post("/v1/chat/completions", CHAT.formatted(""));
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      var sent = engine.generated.getFirst();
      assertThat(sent.maxTokens()).isEqualTo(7);
      assertThat(sent.messages())
          .extracting(message -> message.role() + ":" + message.content())
          .containsExactly("user:hi");
      JsonNode answer = MAPPER.readTree(response.body());
      assertThat(answer.get("object").asText()).isEqualTo("chat.completion");
      assertThat(answer.at("/choices/0/message/content").asText()).isEqualTo("Hello");
      assertThat(answer.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
      assertThat(answer.at("/usage/prompt_tokens").asInt()).isEqualTo(3);
      assertThat(answer.at("/usage/completion_tokens").asInt()).isEqualTo(2);
      assertThat(answer.at("/usage/total_tokens").asInt()).isEqualTo(5);
    }
  }

  @Test
  void aStreamedChatSendsEachPieceAsAChunkThenDone() throws Exception {
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> response =
          http.post("/v1/chat/completions", CHAT.formatted(",\"stream\":true"));
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type").orElse(""))
          .startsWith("text/event-stream");
      List<JsonNode> chunks = events(response.body());
      assertThat(chunks)
          .allMatch(chunk -> chunk.get("object").asText().equals("chat.completion.chunk"));
      StringBuilder text = new StringBuilder();
      chunks.forEach(chunk -> text.append(chunk.at("/choices/0/delta/content").asText("")));
      assertThat(text.toString()).isEqualTo("Hello");
      assertThat(
              chunks.stream()
                  .map(chunk -> chunk.at("/choices/0/finish_reason").asText(""))
                  .filter(reason -> !reason.isEmpty())
                  .toList())
          .containsExactly("stop");
    }
  }

  /** Text that JSON must escape, or that a writer could mangle: quotes, controls, non-ASCII. */
  private static final List<String> AWKWARD =
      List.of(
          "say \"hi\"",
          "back\\slash /",
          "line\nbreak\ttab\r",
          "\u0000\u0001\u001f\u007f",
          "na\u00efve caf\u00e9",
          "\ud83e\udd80 crab",
          "</script>\u2028\u2029",
          "data: [DONE]\n\n");

  @Test
  void everyStreamedPieceArrivesAsItWasGeneratedInChunksOfOpenAisShape() throws Exception {
    FakeEngine awkward =
        new FakeEngine()
            .model("app", "llm", ModelState.READY, LLM)
            .onGenerate(
                (request, onText) -> {
                  AWKWARD.forEach(piece -> onText.accept(GeneratedText.of(piece)));
                  return CompletableFuture.completedFuture(new GenerateResult("stop", 3, 8));
                });
    try (RouteHarness http = serve(awkward)) {
      List<JsonNode> chat =
          events(
              http.post("/v1/chat/completions", CHAT.formatted(",\"stream\":true,\"n\":2")).body());
      for (int index = 0; index < 2; index++) {
        List<JsonNode> pieces = textChunks(chat, index, "/delta/content");
        assertThat(pieces).hasSameSizeAs(AWKWARD);
        for (int i = 0; i < pieces.size(); i++) {
          ObjectNode expected = MAPPER.createObjectNode();
          expected.put("id", chat.getFirst().get("id").asText());
          expected.put("object", "chat.completion.chunk");
          expected.set("created", chat.getFirst().get("created")); // as the server wrote the number
          expected.put("model", "llm");
          ObjectNode choice = expected.putArray("choices").addObject();
          choice.put("index", index).putObject("delta").put("content", AWKWARD.get(i));
          choice.putNull("logprobs").putNull("finish_reason");
          assertThat(pieces.get(i)).isEqualTo(expected);
        }
      }
      List<JsonNode> text =
          events(
              http.post(
                      "/v1/completions",
                      "{\"model\":\"llm\",\"prompt\":\"hi\",\"max_tokens\":7,\"stream\":true}")
                  .body());
      List<JsonNode> textPieces = textChunks(text, 0, "/text");
      assertThat(textPieces)
          .extracting(chunk -> chunk.at("/choices/0/text").asText())
          .containsExactlyElementsOf(AWKWARD);
      assertThat(textPieces)
          .allMatch(chunk -> chunk.get("object").asText().equals("text_completion"))
          .allMatch(chunk -> chunk.at("/choices/0/finish_reason").isNull());
    }
  }

  /** Choice {@code index}'s chunks whose {@code field} (under the choice) holds non-empty text. */
  private static List<JsonNode> textChunks(List<JsonNode> chunks, int index, String field) {
    return chunks.stream()
        .filter(chunk -> chunk.at("/choices/0/index").asInt(-1) == index)
        .filter(chunk -> !chunk.at("/choices/0" + field).asText("").isEmpty())
        .toList();
  }

  @Test
  void aFailureMidStreamEndsItWithAnErrorEvent() throws Exception {
    FakeEngine failing =
        new FakeEngine()
            .model("app", "llm", ModelState.READY, LLM)
            .onGenerate(
                (request, onText) -> {
                  onText.accept(GeneratedText.of("Hel"));
                  return CompletableFuture.failedFuture(
                      new InferenceFailedException("the worker died"));
                });
    try (RouteHarness http = serve(failing)) {
      HttpResponse<String> response =
          http.post("/v1/chat/completions", CHAT.formatted(",\"stream\":true"));
      assertThat(response.statusCode()).as("the stream had begun").isEqualTo(200);
      assertThat(response.body()).contains("Hel").contains("\"error\"").contains("the worker died");
    }
  }

  @Test
  void clientMistakesGetOpenAisErrorShape() throws Exception {
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> unknown =
          http.post("/v1/chat/completions", CHAT.formatted("").replace("\"llm\"", "\"gpt\""));
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(MAPPER.readTree(unknown.body()).at("/error/code").asText())
          .isEqualTo("model_not_found");
      HttpResponse<String> broken = http.post("/v1/chat/completions", "{\"model\":");
      assertThat(broken.statusCode()).isEqualTo(400);
      assertThat(MAPPER.readTree(broken.body()).at("/error/type").asText())
          .isEqualTo("invalid_request_error");
      HttpResponse<String> tooMany =
          http.post(
              "/v1/chat/completions",
              CHAT.formatted("")
                  .replace("\"max_tokens\":7", "\"max_tokens\":99999999999999999999"));
      assertThat(tooMany.statusCode()).isEqualTo(400);
      assertThat(tooMany.body()).contains("max_tokens");
      assertThat(engine.generated).as("nothing reached the engine's generation").isEmpty();
    }
  }
}
