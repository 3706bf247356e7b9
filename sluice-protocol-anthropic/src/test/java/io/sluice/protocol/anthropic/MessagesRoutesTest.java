package io.sluice.protocol.anthropic;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.GenerateRequest;
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

/**
 * The Messages routes alone, on a fake engine: what reaches the engine is read from the request's
 * own fields, what comes back is checked against the model's pieces as the fake wrote them.
 */
class MessagesRoutesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ModelMetadata LLM =
      new ModelMetadata("llm", List.of("1"), "test", List.of(), List.of());
  private static final String HELLO =
      """
      {"model": "llm", "max_tokens": 7, "system": "Be brief.",
       "messages": [{"role": "user", "content": "hi"}] %s}""";
  private static final GenerateRequest.ToolCall CALL =
      new GenerateRequest.ToolCall("toolu_42", "get_weather", "{\"city\":\"Oslo\"}");

  /** A model that writes "Hel", "lo", then (when tools are offered) calls get_weather. */
  private final FakeEngine engine =
      new FakeEngine()
          .model("app", "llm", ModelState.READY, LLM)
          .onGenerate(
              (request, onText) -> {
                onText.accept(GeneratedText.of("Hel"));
                onText.accept(GeneratedText.of("lo"));
                if (!request.options().tools().isEmpty()) {
                  onText.accept(new GeneratedText("", List.of(), List.of(CALL)));
                  return CompletableFuture.completedFuture(new GenerateResult("tool_calls", 11, 9));
                }
                String stop = request.stop().isEmpty() ? null : request.stop().getFirst();
                return CompletableFuture.completedFuture(new GenerateResult("stop", 11, 2, stop));
              });

  private static RouteHarness serve(FakeEngine engine) throws Exception {
    AnthropicProtocol anthropic =
        new AnthropicProtocol(engine, (model, protocol, code, nanos) -> {});
    return new RouteHarness(router -> anthropic.mount(router, ModelScope.global(engine)));
  }

  /** Each event as its {@code event:} name and data, checked to agree with each other. */
  private static List<JsonNode> events(String body) throws Exception {
    List<JsonNode> events = new ArrayList<>();
    for (String frame : body.split("\n\n")) {
      List<String> lines = frame.lines().toList();
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0)).startsWith("event: ");
      assertThat(lines.get(1)).startsWith("data: ");
      JsonNode data = MAPPER.readTree(lines.get(1).substring(6));
      assertThat(data.get("type").asText()).isEqualTo(lines.get(0).substring(7));
      events.add(data);
    }
    return events;
  }

  @Test
  void aMessageIsHandedToTheEngineAndAnsweredAsAnthropicsMessage() throws Exception {
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> response = http.post("/v1/messages", HELLO.formatted(""));
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      GenerateRequest sent = engine.generated.getFirst();
      assertThat(sent.maxTokens()).isEqualTo(7);
      assertThat(sent.messages())
          .extracting(message -> message.role() + ":" + message.content())
          .containsExactly("system:Be brief.", "user:hi");
      JsonNode message = MAPPER.readTree(response.body());
      assertThat(message.get("type").asText()).isEqualTo("message");
      assertThat(message.get("role").asText()).isEqualTo("assistant");
      assertThat(message.get("id").asText()).startsWith("msg_");
      assertThat(message.get("model").asText()).isEqualTo("llm");
      assertThat(message.get("content").toString())
          .isEqualTo("[{\"type\":\"text\",\"text\":\"Hello\"}]");
      assertThat(message.get("stop_reason").asText()).isEqualTo("end_turn");
      assertThat(message.get("stop_sequence").isNull()).isTrue();
      assertThat(message.at("/usage/input_tokens").asInt()).isEqualTo(11);
      assertThat(message.at("/usage/output_tokens").asInt()).isEqualTo(2);
    }
  }

  @Test
  void aStopSequenceThatEndedTheTextIsNamed() throws Exception {
    try (RouteHarness http = serve(engine)) {
      JsonNode message =
          MAPPER.readTree(
              http.post(
                      "/v1/messages",
                      HELLO.formatted(", \"stop_sequences\": [\"END\"], \"temperature\": 0.5"))
                  .body());
      assertThat(engine.generated.getFirst().stop()).containsExactly("END");
      assertThat(engine.generated.getFirst().temperature()).isEqualTo(0.5f);
      assertThat(message.get("stop_reason").asText()).isEqualTo("stop_sequence");
      assertThat(message.get("stop_sequence").asText()).isEqualTo("END");
    }
  }

  @Test
  void toolUseAndToolResultBlocksBecomeCallsAndAnswersAndACallComesBackAsABlock() throws Exception {
    String body =
        """
        {"model": "llm", "max_tokens": 50,
         "tools": [{"name": "get_weather", "description": "The weather",
                    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
         "tool_choice": {"type": "tool", "name": "get_weather"},
         "messages": [
           {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo?"}]},
           {"role": "assistant", "content": [
              {"type": "thinking", "thinking": "hmm", "signature": "x"},
              {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}]},
           {"role": "user", "content": [
              {"type": "tool_result", "tool_use_id": "toolu_1",
               "content": [{"type": "text", "text": "3 degrees"}]}]}]}""";
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> response = http.post("/v1/messages", body);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      GenerateRequest sent = engine.generated.getFirst();
      assertThat(sent.options().toolChoice()).isEqualTo("get_weather");
      assertThat(sent.options().tools())
          .extracting(tool -> tool.name())
          .containsExactly("get_weather");
      assertThat(MAPPER.readTree(sent.options().tools().getFirst().parameters()))
          .isEqualTo(
              MAPPER.readTree(
                  "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));
      assertThat(sent.messages())
          .extracting(m -> m.role())
          .containsExactly("user", "assistant", "tool");
      GenerateRequest.ChatMessage assistant = sent.messages().get(1);
      assertThat(assistant.toolCalls()).hasSize(1);
      assertThat(assistant.toolCalls().getFirst().id()).isEqualTo("toolu_1");
      assertThat(MAPPER.readTree(assistant.toolCalls().getFirst().arguments()))
          .isEqualTo(MAPPER.readTree("{\"city\":\"Oslo\"}"));
      assertThat(sent.messages().get(2).toolCallId()).isEqualTo("toolu_1");
      assertThat(sent.messages().get(2).content()).isEqualTo("3 degrees");

      JsonNode message = MAPPER.readTree(response.body());
      assertThat(message.get("stop_reason").asText()).isEqualTo("tool_use");
      assertThat(message.at("/content/0/text").asText()).isEqualTo("Hello");
      JsonNode use = message.at("/content/1");
      assertThat(use.get("type").asText()).isEqualTo("tool_use");
      assertThat(use.get("id").asText()).isEqualTo("toolu_42");
      assertThat(use.get("name").asText()).isEqualTo("get_weather");
      assertThat(use.get("input")).isEqualTo(MAPPER.readTree("{\"city\":\"Oslo\"}"));
    }
  }

  @Test
  void aStreamSendsAnthropicsEventsInOrder() throws Exception {
    String body =
        HELLO.formatted(
            ", \"stream\": true, \"tools\": [{\"name\": \"get_weather\", \"input_schema\":"
                + " {\"type\": \"object\"}}]");
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> response = http.post("/v1/messages", body);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type").orElse(""))
          .startsWith("text/event-stream");
      List<JsonNode> events = events(response.body());
      assertThat(events)
          .extracting(event -> event.get("type").asText())
          .containsExactly(
              "message_start",
              "ping",
              "content_block_start",
              "content_block_delta",
              "content_block_delta",
              "content_block_stop",
              "content_block_start",
              "content_block_delta",
              "content_block_stop",
              "message_delta",
              "message_stop");
      assertThat(events.get(0).at("/message/content").isEmpty()).isTrue();
      assertThat(events.get(2).at("/content_block/type").asText()).isEqualTo("text");
      assertThat(
              events.get(3).at("/delta/text").asText() + events.get(4).at("/delta/text").asText())
          .isEqualTo("Hello");
      assertThat(events.subList(2, 6)).allMatch(event -> event.get("index").asInt() == 0);
      assertThat(events.get(6).at("/content_block/type").asText()).isEqualTo("tool_use");
      assertThat(events.get(6).at("/content_block/name").asText()).isEqualTo("get_weather");
      assertThat(events.get(7).at("/delta/type").asText()).isEqualTo("input_json_delta");
      assertThat(MAPPER.readTree(events.get(7).at("/delta/partial_json").asText()))
          .isEqualTo(MAPPER.readTree(CALL.arguments()));
      assertThat(events.subList(6, 9)).allMatch(event -> event.get("index").asInt() == 1);
      assertThat(events.get(9).at("/delta/stop_reason").asText()).isEqualTo("tool_use");
      assertThat(events.get(9).at("/usage/output_tokens").asInt()).isEqualTo(9);
      assertThat(events.get(9).at("/usage/input_tokens").asInt()).isEqualTo(11);
    }
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
          http.post("/v1/messages", HELLO.formatted(", \"stream\": true"));
      assertThat(response.statusCode()).as("the stream had begun").isEqualTo(200);
      List<JsonNode> events = events(response.body());
      JsonNode last = events.getLast();
      assertThat(last.get("type").asText()).isEqualTo("error");
      assertThat(last.at("/error/type").asText()).isEqualTo("api_error");
      assertThat(last.at("/error/message").asText()).contains("the worker died");
    }
  }

  @Test
  void clientMistakesGetAnthropicsErrorShapeAndReachNoModel() throws Exception {
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> unknown =
          http.post("/v1/messages", HELLO.formatted("").replace("\"llm\"", "\"claude\""));
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(MAPPER.readTree(unknown.body()).get("type").asText()).isEqualTo("error");
      assertThat(MAPPER.readTree(unknown.body()).at("/error/type").asText())
          .isEqualTo("not_found_error");
      for (String bad :
          List.of(
              HELLO.formatted("").replace("\"max_tokens\": 7,", ""),
              HELLO
                  .formatted("")
                  .replace(
                      "\"content\": \"hi\"",
                      "\"content\": [{\"type\": \"image\", \"source\": {}}]"),
              HELLO.formatted(", \"tool_choice\": {\"type\": \"any\"}"),
              HELLO.formatted(", \"temperature\": 1.5"),
              HELLO.formatted("").replace("\"user\"", "\"system\""),
              "{\"model\":")) {
        HttpResponse<String> response = http.post("/v1/messages", bad);
        assertThat(response.statusCode()).as(bad).isEqualTo(400);
        assertThat(MAPPER.readTree(response.body()).at("/error/type").asText())
            .isEqualTo("invalid_request_error");
      }
      assertThat(engine.generated).as("nothing reached the engine's generation").isEmpty();
    }
  }
}
