package io.sluice.runtime.llm.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GeneratedText;
import io.sluice.api.InvalidInputException;
import io.sluice.runtime.llm.grammar.JsonGrammar;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Function calls in the Hermes format that Qwen 2.5, Hermes and many other chat templates use (and
 * vLLM's {@code hermes} tool parser reads): {@code <tool_call>{"name": ..., "arguments":
 * {...}}</tool_call>}. Describes tools to models whose template does not, constrains the output to
 * a call when {@code tool_choice} demands one, and takes calls out of the generated text as they
 * complete.
 */
public final class ToolCalls {
  static final String OPEN = "<tool_call>";
  static final String CLOSE = "</tool_call>";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ToolCalls() {}

  /** A system prompt that offers the tools, for templates without their own. */
  static String describe(List<GenerateOptions.Tool> tools) {
    StringBuilder text =
        new StringBuilder(
            "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
    for (GenerateOptions.Tool tool : tools) {
      ObjectNode function = MAPPER.createObjectNode();
      function.put("type", "function");
      ObjectNode body = function.putObject("function");
      body.put("name", tool.name());
      body.put("description", tool.description() == null ? "" : tool.description());
      try {
        body.set("parameters", MAPPER.readTree(tool.parameters()));
      } catch (Exception e) {
        throw new InvalidInputException(
            "the parameters of tool '" + tool.name() + "' are not JSON");
      }
      text.append('\n').append(function);
    }
    return text.append(
            "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
                + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
                + "</tool_call>")
        .toString();
  }

  /**
   * The grammar forcing a call when {@code tool_choice} is {@code required} or names a function;
   * null when the model may answer freely.
   */
  public static String grammar(GenerateOptions options) {
    String choice = options.toolChoice();
    if (options.tools().isEmpty() || choice.equals("auto") || choice.equals("none")) {
      return null;
    }
    List<GenerateOptions.Tool> allowed =
        choice.equals("required")
            ? options.tools()
            : options.tools().stream().filter(tool -> tool.name().equals(choice)).toList();
    if (allowed.isEmpty()) {
      throw new InvalidInputException(
          "tool_choice names '" + choice + "', which is not among the tools");
    }
    ObjectNode schema = MAPPER.createObjectNode();
    var anyOf = schema.putArray("anyOf");
    for (GenerateOptions.Tool tool : allowed) {
      ObjectNode call = anyOf.addObject();
      call.put("type", "object");
      ObjectNode properties = call.putObject("properties");
      properties.putObject("name").put("const", tool.name());
      try {
        properties.set("arguments", MAPPER.readTree(tool.parameters()));
      } catch (Exception e) {
        throw new InvalidInputException(
            "the parameters of tool '" + tool.name() + "' are not JSON");
      }
      call.putArray("required").add("name").add("arguments");
    }
    String calls = JsonGrammar.of(schema);
    return "root ::= \""
        + OPEN
        + "\\n\" call \"\\n"
        + CLOSE
        + "\"\n"
        + calls.replaceFirst("^root ::=", "call ::=");
  }

  /**
   * Passes text on until a call begins, holds the call's text, and hands the call over once it is
   * complete. Text that only looks like the start of a call is let through once it turns out not to
   * be one.
   */
  public static final class Extractor implements Consumer<GeneratedText> {
    private final Consumer<GeneratedText> downstream;
    private final StringBuilder held = new StringBuilder();
    private final List<GeneratedText.TokenLogprob> heldLogprobs = new ArrayList<>();
    private int calls;

    public Extractor(Consumer<GeneratedText> downstream) {
      this.downstream = downstream;
    }

    public int calls() {
      return calls;
    }

    @Override
    public void accept(GeneratedText piece) {
      if (!piece.reasoning().isEmpty()) { // thinking comes first and holds no calls
        downstream.accept(GeneratedText.reasoning(piece.reasoning()));
      }
      held.append(piece.text());
      heldLogprobs.addAll(piece.logprobs());
      drain();
    }

    /** What is still held when the generation ends (an unfinished call stays text). */
    public void finish() {
      if (!held.isEmpty() || !heldLogprobs.isEmpty()) {
        emit(held.toString(), List.of());
        held.setLength(0);
      }
    }

    private void drain() {
      while (true) {
        int open = held.indexOf(OPEN);
        if (open < 0) {
          int keep = partialPrefix(held, OPEN);
          emit(held.substring(0, held.length() - keep), List.of());
          held.delete(0, held.length() - keep);
          return;
        }
        if (open > 0) {
          emit(held.substring(0, open), List.of());
          held.delete(0, open);
        }
        int close = held.indexOf(CLOSE);
        if (close < 0) {
          return;
        }
        String body = held.substring(OPEN.length(), close).strip();
        held.delete(0, close + CLOSE.length());
        GenerateRequest.ToolCall call = parse(body);
        if (call == null) {
          emit(OPEN + body + CLOSE, List.of());
        } else {
          calls++;
          emit("", List.of(call));
        }
      }
    }

    private void emit(String text, List<GenerateRequest.ToolCall> toolCalls) {
      if (text.isEmpty() && toolCalls.isEmpty() && heldLogprobs.isEmpty()) {
        return;
      }
      downstream.accept(new GeneratedText(text, List.copyOf(heldLogprobs), toolCalls));
      heldLogprobs.clear();
    }

    private static GenerateRequest.ToolCall parse(String body) {
      try {
        JsonNode call = MAPPER.readTree(body);
        JsonNode arguments = call.get("arguments");
        if (!call.path("name").isTextual() || arguments == null) {
          return null;
        }
        String text =
            arguments.isTextual() ? arguments.asText() : MAPPER.writeValueAsString(arguments);
        return new GenerateRequest.ToolCall(
            "call_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24),
            call.get("name").asText(),
            text);
      } catch (Exception e) {
        return null;
      }
    }

    private static int partialPrefix(CharSequence text, String marker) {
      for (int length = Math.min(marker.length() - 1, text.length()); length > 0; length--) {
        if (text.subSequence(text.length() - length, text.length())
            .toString()
            .equals(marker.substring(0, length))) {
          return length;
        }
      }
      return 0;
    }
  }
}
