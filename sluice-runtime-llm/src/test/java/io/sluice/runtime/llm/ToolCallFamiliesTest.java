package io.sluice.runtime.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each family's real chat template on random weights through llama.cpp: a forced call is written in
 * the family's own syntax (its grammar), read back as a structured call whose arguments follow the
 * schema, and the conversation carrying it renders for the next turn.
 */
class ToolCallFamiliesTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<GenerateOptions.Tool> TOOLS =
      List.of(
          new GenerateOptions.Tool(
              "get_weather",
              "Weather in a city",
              "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":10},"
                  + "\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\",\"unit\"]}"),
          new GenerateOptions.Tool(
              "get_time",
              "Time in a zone",
              "{\"type\":\"object\",\"properties\":{\"zone\":{\"enum\":[\"utc\",\"cet\"]}},"
                  + "\"required\":[\"zone\"]}"));

  @TempDir static Path dir;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Qwen-Qwen3-0.6B",
        "meta-llama-Llama-3.1-8B-Instruct",
        "mistralai-Mistral-Nemo-Instruct-2407",
        "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
        "deepseek-ai-DeepSeek-V3.1"
      })
  void aForcedCallComesBackStructuredAndTheNextTurnRenders(String family) throws Exception {
    Path gguf = dir.resolve(family + ".gguf");
    RandomModelWriter.writeTinyLlama(gguf, 128, 2);
    Path template =
        Path.of("src/test/resources/chat-templates", family + ".jinja").toAbsolutePath();
    try (GenerativeModel model =
        (GenerativeModel)
            new LlamaRuntime()
                .load(
                    new ModelSource(
                        family,
                        "1",
                        gguf,
                        Map.of(
                            "parallel", "1",
                            "ctxSize", "4096",
                            "threads", "2",
                            "chatTemplateFile", template.toString())))) {
      for (String choice : List.of("required", "get_time")) {
        List<GenerateRequest.ChatMessage> turns =
            new ArrayList<>(List.of(new GenerateRequest.ChatMessage("user", "Weather in Oslo?")));
        List<GeneratedText> pieces = new ArrayList<>();
        GenerateResult result =
            model.generate(request(family, turns, choice, 300), pieces::add, () -> false);
        List<GenerateRequest.ToolCall> calls =
            pieces.stream().flatMap(piece -> piece.toolCalls().stream()).toList();
        String text = String.join("", pieces.stream().map(GeneratedText::text).toList());
        assertThat(result.finishReason())
            .as("%s %s: %s", family, choice, text)
            .isEqualTo("tool_calls");
        assertThat(text).as(family).isBlank();
        assertThat(calls).as(family).hasSize(1);
        GenerateRequest.ToolCall call = calls.getFirst();
        JsonNode arguments = MAPPER.readTree(call.arguments());
        if (choice.equals("get_time") || call.name().equals("get_time")) {
          assertThat(call.name()).isEqualTo("get_time");
          assertThat(arguments.get("zone").asText()).isIn("utc", "cet");
        } else {
          assertThat(call.name()).isEqualTo("get_weather");
          assertThat(arguments.get("unit").asText()).isIn("celsius", "fahrenheit");
          assertThat(arguments.get("city").asText().length()).isLessThanOrEqualTo(10);
        }
        turns.add(new GenerateRequest.ChatMessage("assistant", "", calls, null));
        turns.add(new GenerateRequest.ChatMessage("tool", "{\"ok\": true}", List.of(), call.id()));
        GenerateResult next =
            model.generate(request(family, turns, "auto", 3), piece -> {}, () -> false);
        assertThat(next.promptTokens()).as(family).isGreaterThan(result.promptTokens());
      }
    }
  }

  private static GenerateRequest request(
      String model, List<GenerateRequest.ChatMessage> turns, String toolChoice, int maxTokens) {
    return new GenerateRequest(
        model,
        null,
        null,
        turns,
        maxTokens,
        0f,
        null,
        List.of(),
        7L,
        new GenerateOptions(
            null, null, null, null, null, null, null, null, false, TOOLS, toolChoice));
  }
}
