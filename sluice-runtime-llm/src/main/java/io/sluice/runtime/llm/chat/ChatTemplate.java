package io.sluice.runtime.llm.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template (the GGUF's {@code tokenizer.chat_template}, Jinja as Hugging Face writes
 * it), rendered with Jinjava the way {@code apply_chat_template} renders it: {@code messages},
 * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, {@code raise_exception},
 * {@code tools} and messages' {@code tool_calls}. A model without a template gets ChatML; tools
 * offered to a template that never mentions them are described in a system message, with the Hermes
 * call format ({@link ToolCalls}).
 */
public final class ChatTemplate {
  /** ChatML, the common default (Qwen, many fine-tunes). */
  public static final String CHATML =
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          + "'<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final String template;
  private final boolean knowsTools;
  private final String bosToken;
  private final String eosToken;
  private final Jinjava jinja;
  private final ToolCallFormat toolCalls;

  /** The template as Jinjava reads it ({@link JinjaDialect}). */
  private final String dialect;

  public ChatTemplate(String template, String bosToken, String eosToken) {
    this(template, bosToken, eosToken, null);
  }

  /** A template whose calls are written in {@code toolCalls} (null: read from the template). */
  public ChatTemplate(String template, String bosToken, String eosToken, ToolCallFormat toolCalls) {
    this.template = template == null || template.isBlank() ? CHATML : template;
    this.toolCalls = toolCalls != null ? toolCalls : ToolCallFormat.of(null, this.template);
    this.bosToken = bosToken == null ? "" : bosToken;
    this.eosToken = eosToken == null ? "" : eosToken;
    this.knowsTools = this.template.contains("tools");
    // Jinja drops a template's final newline (keep_trailing_newline is off); Jinjava would print it
    this.dialect =
        JinjaDialect.rewrite(
            this.template.endsWith("\n")
                ? this.template.substring(0, this.template.length() - 1)
                : this.template);
    this.jinja =
        new Jinjava(
            JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withLegacyOverrides(
                    LegacyOverrides.newBuilder()
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .build())
                .build());
    JinjaDialect.register(jinja);
    jinja
        .getGlobalContext()
        .registerFunction(
            new ELFunctionDefinition(
                "", "raise_exception", ChatTemplate.class, "raiseException", String.class));
  }

  /**
   * Why the template being rendered on this thread refused its messages (Jinjava hides the
   * exception's message).
   */
  private static final ThreadLocal<String> REFUSAL = new ThreadLocal<>();

  /** Called by templates that refuse a conversation ("Conversation roles must alternate ..."). */
  public static String raiseException(String message) {
    REFUSAL.set(message);
    throw new InvalidInputException("the model's chat template refused the messages: " + message);
  }

  public String template() {
    return template;
  }

  /** How this model family writes function calls. */
  public ToolCallFormat toolCallFormat() {
    return toolCalls;
  }

  /** The prompt for {@code messages}, ending where the assistant's answer begins. */
  public String render(List<GenerateRequest.ChatMessage> messages) {
    return render(messages, List.of());
  }

  /** The prompt for {@code messages} with {@code tools} on offer. */
  public String render(
      List<GenerateRequest.ChatMessage> messages, List<GenerateOptions.Tool> tools) {
    return render(messages, tools, null);
  }

  /**
   * The prompt for {@code messages} with {@code tools} on offer and {@code arguments} (a JSON
   * object as text, or null) as extra template variables, e.g. Qwen3's {@code enable_thinking}.
   */
  public String render(
      List<GenerateRequest.ChatMessage> messages,
      List<GenerateOptions.Tool> tools,
      String arguments) {
    if (messages.isEmpty()) {
      throw new InvalidInputException("messages must not be empty");
    }
    List<Map<String, Object>> turns = new ArrayList<>();
    if (!tools.isEmpty() && !knowsTools) {
      boolean hasSystem = messages.getFirst().role().equals("system");
      String description = ToolCalls.describe(tools, toolCalls);
      turns.add(
          ordered(
              "role",
              "system",
              "content",
              hasSystem ? messages.getFirst().content() + "\n\n" + description : description));
      messages = hasSystem ? messages.subList(1, messages.size()) : messages;
    }
    for (GenerateRequest.ChatMessage message : messages) {
      Map<String, Object> turn = new LinkedHashMap<>();
      turn.put("role", message.role());
      turn.put("content", message.content());
      if (!message.toolCalls().isEmpty()) {
        List<Map<String, Object>> calls = new ArrayList<>();
        for (GenerateRequest.ToolCall call : message.toolCalls()) {
          calls.add(
              ordered(
                  "id",
                  call.id() == null ? "" : call.id(),
                  "type",
                  "function",
                  "function",
                  ordered("name", call.name(), "arguments", json(call.arguments()))));
        }
        turn.put("tool_calls", calls);
      }
      if (message.toolCallId() != null) {
        turn.put("tool_call_id", message.toolCallId());
      }
      turns.add(turn);
    }
    Map<String, Object> context = new HashMap<>();
    if (arguments != null && json(arguments) instanceof Map<?, ?> extra) {
      extra.forEach((name, value) -> context.put(name.toString(), value));
    }
    context.put("messages", turns);
    if (!tools.isEmpty() && knowsTools) {
      List<Map<String, Object>> offered = new ArrayList<>();
      for (GenerateOptions.Tool tool : tools) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", tool.name());
        function.put("description", tool.description() == null ? "" : tool.description());
        function.put("parameters", json(tool.parameters()));
        offered.add(ordered("type", "function", "function", function));
      }
      context.put("tools", offered);
    }
    context.put("add_generation_prompt", true);
    context.put("bos_token", bosToken);
    context.put("eos_token", eosToken);
    RenderResult result;
    REFUSAL.remove();
    try {
      result = jinja.renderForResult(dialect, context);
    } catch (RuntimeException e) {
      result = null;
      if (REFUSAL.get() == null) {
        throw new IllegalStateException("the model's chat template failed: " + e.getMessage(), e);
      }
    }
    String refusal = REFUSAL.get();
    REFUSAL.remove();
    if (refusal != null) {
      throw new InvalidInputException("the model's chat template refused the messages: " + refusal);
    }
    for (TemplateError error : result.getErrors()) {
      if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
        throw new IllegalStateException("the model's chat template failed: " + error.getMessage());
      }
    }
    return result.getOutput();
  }

  /**
   * JSON text as maps and lists, the way templates expect arguments and schemas (they apply {@code
   * tojson}).
   */
  /**
   * A map in the order given, as Python's dicts keep theirs (templates print them with {@code
   * tojson}).
   */
  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  private static Object json(String text) {
    try {
      return MAPPER.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      return text;
    }
  }
}
