package io.sluice.runtime.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateRequest.ChatMessage;
import io.sluice.api.GeneratedText;
import io.sluice.api.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatTemplateTest {
  /**
   * Qwen 2.5's template, tool branches included (abridged from the model's tokenizer_config.json).
   */
  private static final String QWEN =
      """
      {%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}\
      {%- else %}{{- 'You are Qwen.' }}{%- endif %}{{- "\\n\\n# Tools\\n\\n<tools>" }}{%- for tool in tools %}{{- "\\n" }}\
      {{- tool | tojson }}{%- endfor %}{{- "\\n</tools><|im_end|>\\n" }}{%- else %}{%- if messages[0]['role'] == 'system' %}\
      {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}\
      {{- '<|im_start|>system\\nYou are Qwen.<|im_end|>\\n' }}{%- endif %}{%- endif %}\
      {%- for message in messages %}{%- if (message.role == "user") or (message.role == "system" and not loop.first) \
      or (message.role == "assistant" and not message.tool_calls) %}\
      {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\
      {%- elif message.role == "assistant" %}{{- '<|im_start|>' + message.role }}{%- for tool_call in message.tool_calls %}\
      {%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}\
      {{- '\\n<tool_call>\\n{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}{{- tool_call.arguments | tojson }}\
      {{- '}\\n</tool_call>' }}{%- endfor %}{{- '<|im_end|>\\n' }}{%- elif message.role == "tool" %}\
      {{- '<|im_start|>user\\n<tool_response>\\n' }}{{- message.content }}{{- '\\n</tool_response><|im_end|>\\n' }}\
      {%- endif %}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}""";

  @Test
  void rendersTheGgufsTemplateWithTheGenerationPromptOpen() {
    ChatTemplate template =
        new ChatTemplate(
            "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
                + "{% if add_generation_prompt %}<|assistant|>\n{% endif %}",
            "<s>", "</s>");
    assertThat(
            template.render(
                List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"))))
        .isEqualTo("<|system|>\nBe brief.\n<|user|>\nHi\n<|assistant|>\n");
  }

  @Test
  void aModelWithoutATemplateGetsChatMl() {
    assertThat(new ChatTemplate(null, "", "").render(List.of(new ChatMessage("user", "Hi"))))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  }

  @Test
  void toolsAndToolCallsReachATemplateThatKnowsThem() {
    ChatTemplate template = new ChatTemplate(QWEN, "", "<|im_end|>");
    List<GenerateOptions.Tool> tools =
        List.of(
            new GenerateOptions.Tool(
                "get_weather",
                "Weather",
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));
    String prompt =
        template.render(
            List.of(
                new ChatMessage("user", "Weather in Oslo?"),
                new ChatMessage(
                    "assistant",
                    "",
                    List.of(
                        new GenerateRequest.ToolCall(
                            "call_1", "get_weather", "{\"city\":\"Oslo\"}")),
                    null),
                new ChatMessage("tool", "{\"temp\":3}", List.of(), "call_1")),
            tools);
    assertThat(prompt).startsWith("<|im_start|>system\nYou are Qwen.\n\n# Tools\n\n<tools>\n");
    // tojson prints as Python's json.dumps does, which Hugging Face's tojson is
    assertThat(prompt).contains("\"name\": \"get_weather\"", "\"city\": {\"type\": \"string\"}");
    assertThat(prompt)
        .contains(
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>");
    assertThat(prompt).contains("<tool_response>\n{\"temp\":3}\n</tool_response>");
    assertThat(prompt).endsWith("<|im_start|>assistant\n");
  }

  @Test
  void aTemplateWithoutToolsGetsThemDescribedInTheSystemMessage() {
    ChatTemplate template = new ChatTemplate(null, "", "");
    String prompt =
        template.render(
            List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi")),
            List.of(new GenerateOptions.Tool("lookup", null, "{\"type\":\"object\"}")));
    assertThat(prompt).startsWith("<|im_start|>system\nBe brief.\n\n# Tools");
    assertThat(prompt).contains("\"name\":\"lookup\"", "<tool_call>");
    assertThat(prompt).containsOnlyOnce("<|im_start|>system");
  }

  @Test
  void aTemplateThatRefusesTheMessagesIsABadRequest() {
    ChatTemplate template =
        new ChatTemplate("{{ raise_exception('Conversation roles must alternate') }}", "", "");
    assertThatThrownBy(() -> template.render(List.of(new ChatMessage("user", "Hi"))))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("roles must alternate");
  }

  @Test
  void callsAreTakenOutOfTheTextAsTheyCompleteEvenAcrossPieces() {
    List<GeneratedText> out = new ArrayList<>();
    ToolCalls.Extractor extractor = new ToolCalls.Extractor(ToolCallFormat.HERMES, out::add);
    for (String piece :
        List.of(
            "Sure. <to",
            "ol_call>\n{\"name\": \"f\", \"argu",
            "ments\": {\"a\": 1}}\n</tool",
            "_call> done <tag>")) {
      extractor.accept(GeneratedText.of(piece));
    }
    extractor.finish();
    assertThat(String.join("", out.stream().map(GeneratedText::text).toList()))
        .isEqualTo("Sure.  done <tag>");
    List<GenerateRequest.ToolCall> calls =
        out.stream().flatMap(piece -> piece.toolCalls().stream()).toList();
    assertThat(calls)
        .singleElement()
        .satisfies(
            call -> {
              assertThat(call.name()).isEqualTo("f");
              assertThat(call.arguments()).isEqualTo("{\"a\":1}");
            });
    assertThat(extractor.calls()).isEqualTo(1);
    assertThat(out).noneMatch(piece -> piece.text().contains("tool_call"));
  }

  @Test
  void aMalformedCallStaysText() {
    List<GeneratedText> out = new ArrayList<>();
    ToolCalls.Extractor extractor = new ToolCalls.Extractor(ToolCallFormat.HERMES, out::add);
    extractor.accept(GeneratedText.of("<tool_call>not json</tool_call>"));
    extractor.finish();
    assertThat(out)
        .extracting(GeneratedText::text)
        .containsExactly("<tool_call>not json</tool_call>");
    assertThat(extractor.calls()).isZero();
  }

  /** Qwen3's generation prompt, as its template writes it. */
  private static final String QWEN3_PROMPT =
      """
      {%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}\
      {%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}\
      {%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}\
      {%- endif %}""";

  @Test
  void chatTemplateArgumentsReachTheTemplateAsVariables() {
    ChatTemplate template = new ChatTemplate(QWEN3_PROMPT, "", "");
    List<ChatMessage> hi = List.of(new ChatMessage("user", "Hi"));
    assertThat(template.render(hi, List.of(), null))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(template.render(hi, List.of(), "{\"enable_thinking\": false}"))
        .isEqualTo(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    assertThat(template.render(hi, List.of(), "{\"enable_thinking\": true}"))
        .isEqualTo("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    assertThat(ReasoningFormat.of("auto", template.template())).isEqualTo(ReasoningFormat.THINK);
    assertThat(ReasoningFormat.of("auto", ChatTemplate.CHATML)).isEqualTo(ReasoningFormat.NONE);
  }
}
