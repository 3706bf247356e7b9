package io.sluice.runtime.llm.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest.ToolCall;
import io.sluice.api.InvalidInputException;
import io.sluice.runtime.llm.grammar.JsonGrammar;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a model family writes function calls, as vLLM's tool parsers of the same names read them:
 *
 * <ul>
 *   <li>{@code hermes} (Hermes, Qwen 2.5, Qwen3, QwQ): {@code <tool_call>{"name",
 *       "arguments"}</tool_call>} per call;
 *   <li>{@code llama3_json} (Llama 3.1 to 3.3): the whole answer is {@code {"name", "parameters"}},
 *       maybe after {@code <|python_tag|>}, several joined by {@code ;};
 *   <li>{@code mistral}: {@code [TOOL_CALLS]} then a JSON array of {@code {"name", "arguments"}},
 *       or (newer tokenizers) {@code [TOOL_CALLS]name[ARGS]{...}} per call;
 *   <li>{@code deepseek_r1} and {@code deepseek_v3}: {@code <｜tool▁calls▁begin｜>}, then per call
 *       {@code <｜tool▁call▁begin｜>function<｜tool▁sep｜>name\n```json\n{...}\n```<｜tool▁call▁end｜>}
 *       (R1) or {@code <｜tool▁call▁begin｜>name<｜tool▁sep｜>{...}<｜tool▁call▁end｜>} (V3.1), then
 *       {@code <｜tool▁calls▁end｜>}.
 * </ul>
 *
 * The family is read from the chat template (what its assistant turns write for {@code tool_calls})
 * unless the deployment's {@code toolCallFormat} names one.
 */
public enum ToolCallFormat {
  HERMES("<tool_call>", "</tool_call>"),
  LLAMA3_JSON("", null),
  MISTRAL("[TOOL_CALLS]", null),
  DEEPSEEK_R1(DeepSeek.CALLS_BEGIN, DeepSeek.CALLS_END),
  DEEPSEEK_V3(DeepSeek.CALLS_BEGIN, DeepSeek.CALLS_END);

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  static final String PYTHON_TAG = "<|python_tag|>";

  /** What opens the calls in the text ({@code ""}: a call is the whole answer). */
  final String open;

  /** What closes them, null when they run to the end of the answer. */
  final String close;

  ToolCallFormat(String open, String close) {
    this.open = open;
    this.close = close;
  }

  /** The family the setting names, or for {@code auto} (or null) the one the template writes. */
  public static ToolCallFormat of(String setting, String template) {
    String name = setting == null ? "auto" : setting.toLowerCase(Locale.ROOT);
    if (!name.equals("auto")) {
      for (ToolCallFormat format : values()) {
        if (format.name().toLowerCase(Locale.ROOT).equals(name)) {
          return format;
        }
      }
      throw new IllegalArgumentException(
          "toolCallFormat must be auto, hermes, llama3_json, mistral, deepseek_r1 or deepseek_v3,"
              + " got '"
              + setting
              + "'");
    }
    if (template.contains(DeepSeek.CALLS_BEGIN)) {
      return template.contains("'<｜tool▁sep｜>' + tool['function']['name'] + '\\n'")
          ? DEEPSEEK_R1
          : DEEPSEEK_V3;
    }
    if (template.contains("[TOOL_CALLS]")) {
      return MISTRAL;
    }
    if (template.contains(PYTHON_TAG) || template.contains("\"parameters\": dictionary")) {
      return LLAMA3_JSON;
    }
    return HERMES;
  }

  /** The texts that mark this family's calls. */
  public List<String> markers() {
    List<String> markers = new ArrayList<>();
    for (String marker : new String[] {open, close}) {
      if (marker != null && !marker.isEmpty()) {
        markers.add(marker);
      }
    }
    switch (this) {
      case LLAMA3_JSON -> markers.add(PYTHON_TAG);
      case DEEPSEEK_R1, DEEPSEEK_V3 ->
          markers.addAll(List.of(DeepSeek.CALL_BEGIN, DeepSeek.CALL_END, DeepSeek.SEP));
      default -> {}
    }
    return markers;
  }

  /** The call ids this family's templates accept (Mistral's: nine letters and digits). */
  String newId() {
    if (this == MISTRAL) {
      String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
      StringBuilder id = new StringBuilder();
      for (int i = 0; i < 9; i++) {
        id.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
      }
      return id.toString();
    }
    return "call_" + java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 24);
  }

  /** The grammar of exactly one call to one of {@code allowed}, in this family's syntax. */
  String grammar(List<GenerateOptions.Tool> allowed) {
    List<JsonGrammar.Framed> calls = new ArrayList<>();
    for (GenerateOptions.Tool tool : allowed) {
      JsonNode parameters;
      try {
        parameters = MAPPER.readTree(tool.parameters());
      } catch (Exception e) {
        throw new InvalidInputException(
            "the parameters of tool '" + tool.name() + "' are not JSON");
      }
      String name = tool.name();
      String quoted;
      try {
        quoted = MAPPER.writeValueAsString(name);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      calls.add(
          switch (this) {
            case HERMES ->
                new JsonGrammar.Framed(
                    "<tool_call>\n{\"name\": " + quoted + ", \"arguments\": ",
                    parameters,
                    "}\n</tool_call>");
            case LLAMA3_JSON ->
                new JsonGrammar.Framed(
                    "{\"name\": " + quoted + ", \"parameters\": ", parameters, "}");
            case MISTRAL ->
                new JsonGrammar.Framed(
                    "[TOOL_CALLS][{\"name\": " + quoted + ", \"arguments\": ", parameters, "}]");
            case DEEPSEEK_R1 ->
                new JsonGrammar.Framed(
                    DeepSeek.CALLS_BEGIN
                        + DeepSeek.CALL_BEGIN
                        + "function"
                        + DeepSeek.SEP
                        + name
                        + "\n```json\n",
                    parameters,
                    "\n```" + DeepSeek.CALL_END + DeepSeek.CALLS_END);
            case DEEPSEEK_V3 ->
                new JsonGrammar.Framed(
                    DeepSeek.CALLS_BEGIN + DeepSeek.CALL_BEGIN + name + DeepSeek.SEP,
                    parameters,
                    DeepSeek.CALL_END + DeepSeek.CALLS_END);
          });
    }
    return JsonGrammar.oneOf(calls);
  }

  /**
   * The calls in {@code body} (the text between {@link #open} and {@link #close}, or from the
   * opening to the end), or null when it is not calls after all.
   */
  List<ToolCall> parse(String body) {
    try {
      List<ToolCall> calls =
          switch (this) {
            case HERMES ->
                java.util.Collections.singletonList(call(MAPPER.readTree(body), "arguments"));
            case LLAMA3_JSON -> llama(body);
            case MISTRAL -> mistral(body);
            case DEEPSEEK_R1, DEEPSEEK_V3 -> DeepSeek.parse(body, this);
          };
      return calls.isEmpty() || calls.contains(null) ? null : calls;
    } catch (Exception e) {
      return null;
    }
  }

  /** A call from {@code {"name": ..., field: {...}}}; null when it is not one. */
  ToolCall call(JsonNode node, String field) throws Exception {
    JsonNode arguments = node == null ? null : node.get(field);
    if (arguments == null || !node.path("name").isTextual()) {
      return null;
    }
    return new ToolCall(
        newId(),
        node.get("name").asText(),
        arguments.isTextual() ? arguments.asText() : MAPPER.writeValueAsString(arguments));
  }

  private List<ToolCall> llama(String body) throws Exception {
    String text = body.strip();
    if (text.startsWith(PYTHON_TAG)) {
      text = text.substring(PYTHON_TAG.length()).strip();
    }
    List<ToolCall> calls = new ArrayList<>();
    for (String object : topLevelObjects(text)) {
      JsonNode node = MAPPER.readTree(object);
      calls.add(call(node, node.has("parameters") ? "parameters" : "arguments"));
    }
    return calls;
  }

  private List<ToolCall> mistral(String body) throws Exception {
    String text = body.strip();
    List<ToolCall> calls = new ArrayList<>();
    if (text.startsWith("[")) {
      for (JsonNode node : MAPPER.readTree(text)) {
        calls.add(call(node, "arguments"));
      }
      return calls;
    }
    for (String one : text.split(java.util.regex.Pattern.quote(open))) {
      int args = one.indexOf("[ARGS]");
      if (args < 0) {
        return List.of();
      }
      String arguments = one.substring(args + "[ARGS]".length()).strip();
      MAPPER.readTree(arguments); // must be JSON
      calls.add(new ToolCall(newId(), one.substring(0, args).strip(), arguments));
    }
    return calls;
  }

  /**
   * The balanced {@code {...}} objects of {@code text}, joined by nothing but {@code ;}, {@code ,}
   * or space.
   */
  static List<String> topLevelObjects(String text) {
    List<String> objects = new ArrayList<>();
    int depth = 0;
    int start = -1;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{') {
        if (depth++ == 0) {
          start = i;
        }
      } else if (c == '}') {
        if (--depth == 0) {
          objects.add(text.substring(start, i + 1));
        }
      } else if (depth == 0 && !Character.isWhitespace(c) && c != ';' && c != ',') {
        return List.of();
      }
    }
    return depth == 0 ? objects : List.of();
  }

  /** DeepSeek's markers and its calls' two spellings. */
  static final class DeepSeek {
    static final String CALLS_BEGIN = "<｜tool▁calls▁begin｜>";
    static final String CALLS_END = "<｜tool▁calls▁end｜>";
    static final String CALL_BEGIN = "<｜tool▁call▁begin｜>";
    static final String CALL_END = "<｜tool▁call▁end｜>";
    static final String SEP = "<｜tool▁sep｜>";

    private DeepSeek() {}

    static List<ToolCall> parse(String body, ToolCallFormat format) throws Exception {
      List<ToolCall> calls = new ArrayList<>();
      int from = 0;
      for (int begin; (begin = body.indexOf(CALL_BEGIN, from)) >= 0; ) {
        int end = body.indexOf(CALL_END, begin);
        if (end < 0) {
          return List.of();
        }
        String call = body.substring(begin + CALL_BEGIN.length(), end);
        from = end + CALL_END.length();
        int sep = call.indexOf(SEP);
        if (sep < 0) {
          return List.of();
        }
        String left = call.substring(0, sep);
        String right = call.substring(sep + SEP.length());
        String name;
        String arguments;
        int fence = right.indexOf("```json");
        if (fence >= 0) { // R1: function<sep>name\n```json\n{...}\n```
          name = right.substring(0, fence).strip();
          arguments = right.substring(fence + "```json".length());
          int close = arguments.lastIndexOf("```");
          arguments = (close >= 0 ? arguments.substring(0, close) : arguments).strip();
        } else { // V3.1: name<sep>{...}
          name = left.strip();
          arguments = right.strip();
        }
        MAPPER.readTree(arguments); // must be JSON
        calls.add(new ToolCall(format.newId(), name, arguments));
      }
      return calls;
    }
  }
}
