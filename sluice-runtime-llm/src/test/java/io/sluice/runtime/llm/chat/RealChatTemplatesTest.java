package io.sluice.runtime.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest.ChatMessage;
import io.sluice.api.GenerateRequest.ToolCall;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real templates of the common families render the prompt their models were trained on: the
 * expected texts are those families' documented prompt formats, written out by hand.
 */
class RealChatTemplatesTest {
  private static final List<GenerateOptions.Tool> TOOLS =
      List.of(
          new GenerateOptions.Tool(
              "get_weather",
              "The weather",
              "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));

  /** The tool as Python's {@code json.dumps} prints it. */
  private static final String TOOL_JSON =
      "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"The"
          + " weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\":"
          + " \"string\"}}}}}";

  /** A question, the call the model made (an id as Mistral wants it) and the tool's answer. */
  private static final List<ChatMessage> TURNS =
      List.of(
          new ChatMessage("user", "Weather in Oslo?"),
          new ChatMessage(
              "assistant",
              "",
              List.of(new ToolCall("abcdefghi", "get_weather", "{\"city\":\"Oslo\"}")),
              null),
          new ChatMessage("tool", "3 degrees", List.of(), "abcdefghi"));

  static ChatTemplate template(String name, String bos, String eos) throws IOException {
    return new ChatTemplate(
        Files.readString(Path.of("src/test/resources/chat-templates", name + ".jinja")), bos, eos);
  }

  @Test
  void qwen3() throws IOException {
    String prompt = template("Qwen-Qwen3-0.6B", "", "<|im_end|>").render(TURNS, TOOLS);
    assertThat(prompt)
        .isEqualTo(
            "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user"
                + " query.\n\nYou are provided with function signatures within <tools></tools> XML"
                + " tags:\n<tools>\n"
                + TOOL_JSON
                + "\n</tools>\n\nFor each function call, return a json object with function name and"
                + " arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\":"
                + " <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\nWeather in Oslo?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\":"
                + " {\"city\": \"Oslo\"}}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n3 degrees\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n");
    assertThat(
            template("Qwen-Qwen3-0.6B", "", "<|im_end|>")
                .render(TURNS.subList(0, 1), List.of(), "{\"enable_thinking\": false}"))
        .endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n");
  }

  @Test
  void llama31() throws IOException {
    String prompt =
        template("meta-llama-Llama-3.1-8B-Instruct", "<|begin_of_text|>", "<|eot_id|>")
            .render(TURNS, TOOLS);
    assertThat(prompt)
        .isEqualTo(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Environment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul"
                + " 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                + "Given the following functions, please respond with a JSON for a function call"
                + " with its proper arguments that best answers the given prompt.\n\n"
                + "Respond in the format {\"name\": function name, \"parameters\": dictionary of"
                + " argument name and its value}.Do not use variables.\n\n"
                + "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n"
                + "        \"description\": \"The weather\",\n        \"parameters\": {\n"
                + "            \"type\": \"object\",\n            \"properties\": {\n"
                + "                \"city\": {\n                    \"type\": \"string\"\n"
                + "                }\n            }\n        }\n    }\n}"
                + "\n\nWeather in Oslo?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
                + "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}<|eot_id|>"
                + "<|start_header_id|>ipython<|end_header_id|>\n\n3 degrees<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
  }

  @Test
  void mistralNemo() throws IOException {
    String prompt =
        template("mistralai-Mistral-Nemo-Instruct-2407", "<s>", "</s>").render(TURNS, TOOLS);
    assertThat(prompt)
        .isEqualTo(
            "<s>[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
                + " \"description\": \"The weather\", \"parameters\":"
                + " {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}]"
                + "[/AVAILABLE_TOOLS][INST]Weather in Oslo?[/INST][TOOL_CALLS]"
                + "[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}, \"id\":"
                + " \"abcdefghi\"}]</s>[TOOL_RESULTS]{\"content\": 3 degrees, \"call_id\":"
                + " \"abcdefghi\"}[/TOOL_RESULTS]");
  }

  @Test
  void deepSeekR1AndV31WriteCallsInTheirOwnSyntax() throws IOException {
    assertThat(
            template("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "<｜begin▁of▁sentence｜>", "")
                .render(TURNS, TOOLS))
        .contains(
            "<｜User｜>Weather in Oslo?<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>"
                + "function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Oslo\"}\n```"
                + "<｜tool▁call▁end｜><｜tool▁calls▁end｜>")
        .contains("<｜tool▁output▁begin｜>3 degrees<｜tool▁output▁end｜>");
    assertThat(template("deepseek-ai-DeepSeek-V3.1", "", "").render(TURNS, TOOLS))
        .contains(
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>"
                + "{\"city\": \"Oslo\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
  }

  @Test
  void pythonOnlyFormsAreRewrittenForJinjava() {
    assertThat(JinjaDialect.rewrite("{% if not tools is none and not x.id is defined %}"))
        .isEqualTo("{% if not (tools is none) and not (x.id is defined) %}");
    assertThat(JinjaDialect.rewrite("namespace(a=true, b=messages|length - 1)"))
        .isEqualTo("namespace(a=(true), b=(messages|length - 1))");
    assertThat(JinjaDialect.rewrite("{% for m in messages[::-1] %}"))
        .isEqualTo("{% for m in (messages|reverse) %}");
    assertThat(JinjaDialect.rewrite("c.split('</think>')[-1].lstrip('\\n')"))
        .isEqualTo("c|py_split('</think>')[-1]|py_lstrip('\\n')");
    assertThat(JinjaDialect.split("a</think>", "</think>")).containsExactly("a", "");
    assertThat(JinjaDialect.strip("\n\nx\n", "\n", true, false)).isEqualTo("x\n");
  }
}
