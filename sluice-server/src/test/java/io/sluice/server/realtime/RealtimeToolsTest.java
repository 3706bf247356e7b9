package io.sluice.server.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import io.sluice.server.TestServer;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Function calling in a realtime session, on a real LLM (a random-weight llama: its words are
 * nonsense, but the call's arguments are constrained by the tool's schema): the call comes as its
 * own output item with its arguments, and the client's {@code function_call_output} item is what
 * the next response answers after.
 */
@Tag("slow")
class RealtimeToolsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aToolCallIsAnItemAndItsOutputFeedsTheNextResponse(@TempDir Path dir) throws Exception {
    Path gguf = dir.resolve("tiny-llama.gguf");
    RandomModelWriter.writeTinyLlama(gguf, 64, 2);
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    try (TestServer server =
            TestServer.start(
                dir,
                """
        applications:
          - name: models
            deployments:
              - {name: asr, runtime: test-echo, storageUri: '%1$s'}
              - {name: tts, runtime: test-echo, storageUri: '%1$s'}
              - {name: llm, runtime: llama, hosting: worker, storageUri: '%2$s', settings: {parallel: '2', ctxSize: '2048', threads: '1'}}
        pipelines:
          - {name: agent, type: voice, asr: asr, llm: llm, tts: tts}
        """
                    .formatted(placeholder, gguf));
        RealtimeClient session =
            new RealtimeClient(
                HttpClient.newHttpClient(),
                "ws://127.0.0.1:" + server.server().port() + "/v1/realtime?model=agent")) {
      assertThat(session.next().get("type").asText()).isEqualTo("session.created");
      session.send(
          """
          {"type": "session.update", "session": {"output_modalities": ["text"], "max_output_tokens": 120,
           "tool_choice": "required", "tools": [{"type": "function", "name": "get_weather",
           "description": "The weather in a city", "parameters": {"type": "object", "required": ["city"],
           "properties": {"city": {"type": "string", "maxLength": 10}}}}]}}""");
      JsonNode updated = session.next();
      assertThat(updated.at("/session/tools/0/name").asText()).isEqualTo("get_weather");
      assertThat(updated.at("/session/tool_choice").asText()).isEqualTo("required");
      session.send(
          """
          {"type": "conversation.item.create", "item": {"type": "message", "role": "user",
           "content": [{"type": "input_text", "text": "What is the weather in Oslo?"}]}}""");
      session.send("{\"type\": \"response.create\"}");
      List<JsonNode> seen = new ArrayList<>();
      JsonNode done = session.until("response.done", seen);
      assertThat(done.at("/response/status").asText()).as(seen.toString()).isEqualTo("completed");
      JsonNode arguments =
          seen.stream()
              .filter(e -> e.get("type").asText().equals("response.function_call_arguments.done"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no function call in " + seen));
      assertThat(arguments.get("name").asText()).isEqualTo("get_weather");
      JsonNode parsed = JSON.readTree(arguments.get("arguments").asText());
      assertThat(parsed.get("city").isTextual()).as(parsed.toString()).isTrue();
      assertThat(parsed.get("city").asText().length()).isLessThanOrEqualTo(10);
      String callId = arguments.get("call_id").asText();
      JsonNode callItem =
          seen.stream()
              .filter(e -> e.get("type").asText().equals("response.output_item.done"))
              .map(e -> e.get("item"))
              .filter(item -> item.get("type").asText().equals("function_call"))
              .findFirst()
              .orElseThrow();
      assertThat(callItem.get("call_id").asText()).isEqualTo(callId);
      assertThat(done.at("/response/output").findValuesAsText("type")).contains("function_call");

      session.send(
          """
          {"type": "conversation.item.create", "item": {"type": "function_call_output",
           "call_id": "%s", "output": "{\\"temperature\\": 21}"}}"""
              .formatted(callId));
      JsonNode added = session.next();
      assertThat(added.get("type").asText()).isEqualTo("conversation.item.added");
      assertThat(added.at("/item/type").asText()).isEqualTo("function_call_output");
      assertThat(added.at("/item/call_id").asText()).isEqualTo(callId);
      session.next(); // conversation.item.done
      session.send(
          "{\"type\": \"response.create\", \"response\": {\"tool_choice\": \"none\","
              + " \"max_output_tokens\": 8}}");
      List<JsonNode> after = new ArrayList<>();
      JsonNode answered = session.until("response.done", after);
      assertThat(answered.at("/response/status").asText())
          .as(after.toString())
          .isEqualTo("completed");
      assertThat(after).noneMatch(e -> e.get("type").asText().startsWith("response.function_call"));
      assertThat(answered.at("/response/usage/output_tokens").asInt()).isBetween(1, 8);
    }
  }
}
