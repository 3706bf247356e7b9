package io.sluice.runtime.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.GenerateRequest.ToolCall;
import io.sluice.api.GeneratedText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each family's calls, written as its documentation shows them, come out as structured calls
 * however the text is cut into pieces; the family is read from its real template.
 */
class ToolCallFormatTest {
  private static String template(String name) throws IOException {
    return Files.readString(Path.of("src/test/resources/chat-templates", name + ".jinja"));
  }

  @Test
  void theFamilyIsReadFromTheRealTemplates() throws IOException {
    assertThat(ToolCallFormat.of(null, template("Qwen-Qwen2.5-7B-Instruct")))
        .isEqualTo(ToolCallFormat.HERMES);
    assertThat(ToolCallFormat.of(null, template("Qwen-Qwen3-0.6B")))
        .isEqualTo(ToolCallFormat.HERMES);
    assertThat(ToolCallFormat.of(null, template("meta-llama-Llama-3.1-8B-Instruct")))
        .isEqualTo(ToolCallFormat.LLAMA3_JSON);
    assertThat(ToolCallFormat.of(null, template("meta-llama-Llama-3.2-3B-Instruct")))
        .isEqualTo(ToolCallFormat.LLAMA3_JSON);
    assertThat(ToolCallFormat.of(null, template("mistralai-Mistral-Nemo-Instruct-2407")))
        .isEqualTo(ToolCallFormat.MISTRAL);
    assertThat(ToolCallFormat.of(null, template("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B")))
        .isEqualTo(ToolCallFormat.DEEPSEEK_R1);
    assertThat(ToolCallFormat.of(null, template("deepseek-ai-DeepSeek-V3.1")))
        .isEqualTo(ToolCallFormat.DEEPSEEK_V3);
    assertThat(ToolCallFormat.of("mistral", ChatTemplate.CHATML)).isEqualTo(ToolCallFormat.MISTRAL);
  }

  /** Text and calls extracted from {@code whole} cut into pieces of every size. */
  private static void extractsFromEveryCut(
      ToolCallFormat format, String whole, String text, List<String> calls) {
    for (int size = 1; size <= whole.length(); size++) {
      List<GeneratedText> out = new ArrayList<>();
      ToolCalls.Extractor extractor = new ToolCalls.Extractor(format, out::add);
      for (int at = 0; at < whole.length(); at += size) {
        extractor.accept(
            GeneratedText.of(whole.substring(at, Math.min(whole.length(), at + size))));
      }
      extractor.finish();
      assertThat(String.join("", out.stream().map(GeneratedText::text).toList()))
          .as("%s in pieces of %d", format, size)
          .isEqualTo(text);
      List<ToolCall> found = out.stream().flatMap(piece -> piece.toolCalls().stream()).toList();
      assertThat(found)
          .as("%s in pieces of %d", format, size)
          .extracting(call -> call.name() + " " + call.arguments().replace(" ", ""))
          .containsExactlyElementsOf(calls);
      assertThat(extractor.calls()).isEqualTo(calls.size());
    }
  }

  @Test
  void hermes() {
    extractsFromEveryCut(
        ToolCallFormat.HERMES,
        "Let me look.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n"
            + "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>",
        "Let me look.\n",
        List.of("get_weather {\"city\":\"Oslo\"}", "get_time {}"));
  }

  @Test
  void llama3Json() {
    extractsFromEveryCut(
        ToolCallFormat.LLAMA3_JSON,
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}",
        "",
        List.of("get_weather {\"city\":\"Oslo\"}"));
    extractsFromEveryCut(
        ToolCallFormat.LLAMA3_JSON,
        "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"x\": \"};\"}}; {\"name\": \"b\","
            + " \"parameters\": {}}",
        "",
        List.of("a {\"x\":\"};\"}", "b {}"));
    extractsFromEveryCut(
        ToolCallFormat.LLAMA3_JSON, "It is {cold} today.", "It is {cold} today.", List.of());
    extractsFromEveryCut(
        ToolCallFormat.LLAMA3_JSON, "{not json at all", "{not json at all", List.of());
  }

  @Test
  void mistral() {
    extractsFromEveryCut(
        ToolCallFormat.MISTRAL,
        "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}, {\"name\":"
            + " \"get_time\", \"arguments\": {}}]",
        "",
        List.of("get_weather {\"city\":\"Oslo\"}", "get_time {}"));
    extractsFromEveryCut(
        ToolCallFormat.MISTRAL,
        "Sure. [TOOL_CALLS]get_weather[ARGS]{\"city\": \"Oslo\"}",
        "Sure. ",
        List.of("get_weather {\"city\":\"Oslo\"}"));
  }

  @Test
  void deepSeek() {
    String sep = "<｜tool▁sep｜>";
    extractsFromEveryCut(
        ToolCallFormat.DEEPSEEK_R1,
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function"
            + sep
            + "get_weather\n```json\n{\"city\": \"Oslo\"}\n```<｜tool▁call▁end｜>"
            + "<｜tool▁calls▁end｜>",
        "",
        List.of("get_weather {\"city\":\"Oslo\"}"));
    extractsFromEveryCut(
        ToolCallFormat.DEEPSEEK_V3,
        "Checking.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather"
            + sep
            + "{\"city\": \"Oslo\"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_time"
            + sep
            + "{}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "Checking.",
        List.of("get_weather {\"city\":\"Oslo\"}", "get_time {}"));
  }

  @Test
  void mistralCallIdsAreWhatItsTemplateAccepts() {
    assertThat(ToolCallFormat.MISTRAL.newId()).matches("[A-Za-z0-9]{9}");
  }
}
