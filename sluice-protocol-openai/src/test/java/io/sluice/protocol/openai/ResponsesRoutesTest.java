package io.sluice.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.ModelMetadata;
import io.sluice.engine.client.ModelState;
import io.sluice.http.ModelScope;
import io.sluice.http.testing.FakeEngine;
import io.sluice.http.testing.RouteHarness;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The Responses routes alone, on a fake engine that writes "Hel", "lo" and, when tools are offered,
 * calls get_weather.
 */
class ResponsesRoutesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ModelMetadata LLM =
      new ModelMetadata("llm", List.of("1"), "test", List.of(), List.of());
  private static final GenerateRequest.ToolCall CALL =
      new GenerateRequest.ToolCall("call_7", "get_weather", "{\"city\":\"Oslo\"}");
  private static final String TOOLS =
      "\"tools\": [{\"type\": \"function\", \"name\": \"get_weather\", \"parameters\":"
          + " {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}]";

  private final FakeEngine engine =
      new FakeEngine()
          .model("app", "llm", ModelState.READY, LLM)
          .onGenerate(
              (request, onText) -> {
                onText.accept(GeneratedText.of("Hel"));
                onText.accept(GeneratedText.of("lo"));
                if (!request.options().tools().isEmpty()) {
                  onText.accept(new GeneratedText("", List.of(), List.of(CALL)));
                  return CompletableFuture.completedFuture(new GenerateResult("tool_calls", 5, 9));
                }
                return CompletableFuture.completedFuture(
                    new GenerateResult(request.maxTokens() <= 2 ? "length" : "stop", 5, 2));
              });

  private static RouteHarness serve(FakeEngine engine) throws Exception {
    OpenAiProtocol openAi = new OpenAiProtocol(engine, (model, protocol, code, nanos) -> {});
    return new RouteHarness(router -> openAi.mount(router, ModelScope.global(engine)));
  }

  private static JsonNode post(RouteHarness http, String body) throws Exception {
    HttpResponse<String> response = http.post("/v1/responses", body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return MAPPER.readTree(response.body());
  }

  @Test
  void aStringInputIsAUserTurnAndTheAnswerAResponseWithAMessageItem() throws Exception {
    try (RouteHarness http = serve(engine)) {
      JsonNode response =
          post(
              http,
              "{\"model\": \"llm\", \"instructions\": \"Be brief.\", \"input\": \"hi\","
                  + " \"max_output_tokens\": 20, \"temperature\": 0.2}");
      GenerateRequest sent = engine.generated.getFirst();
      assertThat(sent.messages())
          .extracting(m -> m.role() + ":" + m.content())
          .containsExactly("system:Be brief.", "user:hi");
      assertThat(sent.maxTokens()).isEqualTo(20);
      assertThat(sent.temperature()).isEqualTo(0.2f);
      assertThat(response.get("object").asText()).isEqualTo("response");
      assertThat(response.get("id").asText()).startsWith("resp_");
      assertThat(response.get("status").asText()).isEqualTo("completed");
      assertThat(response.get("instructions").asText()).isEqualTo("Be brief.");
      assertThat(response.at("/output/0/type").asText()).isEqualTo("message");
      assertThat(response.at("/output/0/role").asText()).isEqualTo("assistant");
      assertThat(response.at("/output/0/content/0/type").asText()).isEqualTo("output_text");
      assertThat(response.at("/output/0/content/0/text").asText()).isEqualTo("Hello");
      assertThat(response.at("/usage/input_tokens").asInt()).isEqualTo(5);
      assertThat(response.at("/usage/output_tokens").asInt()).isEqualTo(2);
      assertThat(response.at("/usage/total_tokens").asInt()).isEqualTo(7);
    }
  }

  @Test
  void aResponseCutByItsTokenLimitIsIncomplete() throws Exception {
    try (RouteHarness http = serve(engine)) {
      JsonNode response =
          post(http, "{\"model\": \"llm\", \"input\": \"hi\", \"max_output_tokens\": 2}");
      assertThat(response.get("status").asText()).isEqualTo("incomplete");
      assertThat(response.at("/incomplete_details/reason").asText()).isEqualTo("max_output_tokens");
    }
  }

  @Test
  void aFollowUpContinuesTheStoredConversationWithTheFunctionsOutput() throws Exception {
    try (RouteHarness http = serve(engine)) {
      JsonNode first =
          post(
              http,
              "{\"model\": \"llm\", \"input\": \"Weather in Oslo?\", \"tool_choice\": \"required\", "
                  + TOOLS
                  + "}");
      assertThat(engine.generated.getFirst().options().toolChoice()).isEqualTo("required");
      assertThat(first.at("/output/1/type").asText()).isEqualTo("function_call");
      assertThat(first.at("/output/1/call_id").asText()).isEqualTo("call_7");
      assertThat(first.at("/output/1/name").asText()).isEqualTo("get_weather");
      assertThat(MAPPER.readTree(first.at("/output/1/arguments").asText()))
          .isEqualTo(MAPPER.readTree(CALL.arguments()));
      post(
          http,
          "{\"model\": \"llm\", \"previous_response_id\": \""
              + first.get("id").asText()
              + "\", \"input\": [{\"type\": \"function_call_output\", \"call_id\": \"call_7\","
              + " \"output\": \"3 degrees\"}]}");
      List<GenerateRequest.ChatMessage> turns = engine.generated.get(1).messages();
      assertThat(turns).extracting(m -> m.role()).containsExactly("user", "assistant", "tool");
      assertThat(turns.get(0).content()).isEqualTo("Weather in Oslo?");
      assertThat(turns.get(1).content()).isEqualTo("Hello");
      assertThat(turns.get(1).toolCalls()).containsExactly(CALL);
      assertThat(turns.get(2).toolCallId()).isEqualTo("call_7");
      assertThat(turns.get(2).content()).isEqualTo("3 degrees");
    }
  }

  @Test
  void storedResponsesCanBeReadAndDeletedAndStoreFalseKeepsNone() throws Exception {
    try (RouteHarness http = serve(engine);
        HttpClient client = HttpClient.newHttpClient()) {
      JsonNode kept = post(http, "{\"model\": \"llm\", \"input\": \"hi\"}");
      JsonNode unkept = post(http, "{\"model\": \"llm\", \"input\": \"hi\", \"store\": false}");
      String id = kept.get("id").asText();
      JsonNode read = MAPPER.readTree(http.get("/v1/responses/" + id).body());
      assertThat(read).isEqualTo(kept);
      assertThat(http.get("/v1/responses/" + unkept.get("id").asText()).statusCode())
          .isEqualTo(404);
      HttpResponse<String> missing =
          http.post(
              "/v1/responses",
              "{\"model\": \"llm\", \"input\": \"x\", \"previous_response_id\": \""
                  + unkept.get("id").asText()
                  + "\"}");
      assertThat(missing.statusCode()).isEqualTo(400);
      assertThat(MAPPER.readTree(missing.body()).at("/error/param").asText())
          .isEqualTo("previous_response_id");
      URI uri = http.uri("/v1/responses/" + id);
      HttpResponse<String> deleted =
          client.send(
              HttpRequest.newBuilder(uri).DELETE().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(MAPPER.readTree(deleted.body()).get("deleted").asBoolean()).isTrue();
      assertThat(http.get("/v1/responses/" + id).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aStoredResponseIsOnlyFoundThroughARouteThatHoldsItsModel() throws Exception {
    OpenAiProtocol openAi = new OpenAiProtocol(engine, (model, protocol, code, nanos) -> {});
    try (RouteHarness root = new RouteHarness(r -> openAi.mount(r, ModelScope.global(engine)));
        RouteHarness app =
            new RouteHarness(r -> openAi.mount(r, ModelScope.application(engine, "app")));
        RouteHarness other =
            new RouteHarness(r -> openAi.mount(r, ModelScope.application(engine, "other")))) {
      String id = post(app, "{\"model\": \"llm\", \"input\": \"hi\"}").get("id").asText();
      assertThat(app.get("/v1/responses/" + id).statusCode()).isEqualTo(200);
      assertThat(root.get("/v1/responses/" + id).statusCode()).isEqualTo(200);
      assertThat(other.get("/v1/responses/" + id).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void aStreamBuildsTheResponseEventByEvent() throws Exception {
    try (RouteHarness http = serve(engine)) {
      HttpResponse<String> response =
          http.post(
              "/v1/responses",
              "{\"model\": \"llm\", \"input\": \"hi\", \"stream\": true, " + TOOLS + "}");
      assertThat(response.statusCode()).isEqualTo(200);
      List<JsonNode> events = new ArrayList<>();
      for (String frame : response.body().split("\n\n")) {
        List<String> lines = frame.lines().toList();
        JsonNode data = MAPPER.readTree(lines.get(1).substring(6));
        assertThat(lines.get(0)).isEqualTo("event: " + data.get("type").asText());
        events.add(data);
      }
      assertThat(events)
          .extracting(e -> e.get("type").asText())
          .containsExactly(
              "response.created",
              "response.in_progress",
              "response.output_item.added",
              "response.content_part.added",
              "response.output_text.delta",
              "response.output_text.delta",
              "response.output_text.done",
              "response.content_part.done",
              "response.output_item.done",
              "response.output_item.added",
              "response.function_call_arguments.delta",
              "response.function_call_arguments.done",
              "response.output_item.done",
              "response.completed");
      for (int i = 0; i < events.size(); i++) {
        assertThat(events.get(i).get("sequence_number").asInt()).isEqualTo(i);
      }
      assertThat(events.get(0).at("/response/status").asText()).isEqualTo("in_progress");
      assertThat(events.get(0).at("/response/output").isEmpty()).isTrue();
      assertThat(events.get(6).get("text").asText()).isEqualTo("Hello");
      assertThat(events.get(9).get("output_index").asInt()).isEqualTo(1);
      assertThat(events.get(11).get("arguments").asText()).isEqualTo(CALL.arguments());
      JsonNode done = events.getLast().get("response");
      assertThat(done.get("status").asText()).isEqualTo("completed");
      assertThat(done.at("/output/0/content/0/text").asText()).isEqualTo("Hello");
      assertThat(done.at("/output/1/arguments").asText()).isEqualTo(CALL.arguments());
    }
  }

  @Test
  void unsupportedInputGetsOpenAisErrorAndReachesNoModel() throws Exception {
    try (RouteHarness http = serve(engine)) {
      for (String bad :
          List.of(
              "{\"model\": \"llm\"}",
              "{\"model\": \"llm\", \"input\": [{\"role\": \"user\", \"content\":"
                  + " [{\"type\": \"input_image\", \"image_url\": \"x\"}]}]}",
              "{\"model\": \"llm\", \"input\": \"hi\", \"tools\": [{\"type\": \"web_search\"}]}",
              "{\"model\": \"llm\", \"input\": \"hi\", \"max_output_tokens\": 0}")) {
        HttpResponse<String> response = http.post("/v1/responses", bad);
        assertThat(response.statusCode()).as(bad).isEqualTo(400);
        assertThat(MAPPER.readTree(response.body()).at("/error/type").asText())
            .isEqualTo("invalid_request_error");
      }
      assertThat(engine.generated).isEmpty();
    }
  }
}
