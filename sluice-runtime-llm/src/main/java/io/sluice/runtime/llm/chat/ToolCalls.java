package io.sluice.runtime.llm.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GeneratedText;
import io.sluice.api.InvalidInputException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Function calls in a model family's own syntax ({@link ToolCallFormat}): describes tools to models
 * whose template does not, constrains the output to a call when {@code tool_choice} demands one,
 * and takes calls out of the generated text as they complete.
 */
public final class ToolCalls {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ToolCalls() {}

  /** A system prompt that offers the tools, for templates without their own. */
  static String describe(List<GenerateOptions.Tool> tools, ToolCallFormat format) {
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
    text.append("\n</tools>\n\n");
    return text.append(
            switch (format) {
              case HERMES ->
                  "For each function call, return a json object with function name and arguments within "
                      + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\":"
                      + " <args-json-object>}\n</tool_call>";
              case LLAMA3_JSON ->
                  "To call a function, respond only with JSON in the format {\"name\": function name,"
                      + " \"parameters\": dictionary of argument name and its value}.";
              case MISTRAL ->
                  "To call functions, respond with [TOOL_CALLS] followed by a JSON list of"
                      + " {\"name\": <function-name>, \"arguments\": <args-json-object>}.";
              case DEEPSEEK_R1 ->
                  "To call a function, write "
                      + ToolCallFormat.DeepSeek.CALLS_BEGIN
                      + ToolCallFormat.DeepSeek.CALL_BEGIN
                      + "function"
                      + ToolCallFormat.DeepSeek.SEP
                      + "<function-name>\n```json\n<args-json-object>\n```"
                      + ToolCallFormat.DeepSeek.CALL_END
                      + ToolCallFormat.DeepSeek.CALLS_END;
              case DEEPSEEK_V3 ->
                  "To call a function, write "
                      + ToolCallFormat.DeepSeek.CALLS_BEGIN
                      + ToolCallFormat.DeepSeek.CALL_BEGIN
                      + "<function-name>"
                      + ToolCallFormat.DeepSeek.SEP
                      + "<args-json-object>"
                      + ToolCallFormat.DeepSeek.CALL_END
                      + ToolCallFormat.DeepSeek.CALLS_END;
            })
        .toString();
  }

  /**
   * The grammar forcing a call in {@code format} when {@code tool_choice} is {@code required} or
   * names a function; null when the model may answer freely.
   */
  public static String grammar(GenerateOptions options, ToolCallFormat format) {
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
    return format.grammar(allowed);
  }

  /**
   * Passes text on until a call begins, holds the call's text, and hands the calls over once they
   * are complete (at the end of the answer for families whose calls run to it). Text that only
   * looks like the start of a call is let through once it turns out not to be one.
   */
  public static final class Extractor implements Consumer<GeneratedText> {
    private final ToolCallFormat format;
    private final Consumer<GeneratedText> downstream;
    private final StringBuilder held = new StringBuilder();
    private final List<GeneratedText.TokenLogprob> heldLogprobs = new ArrayList<>();
    private int calls;

    /** For a family whose call is the whole answer: whether the answer began with one. */
    private Boolean leadingCall;

    public Extractor(ToolCallFormat format, Consumer<GeneratedText> downstream) {
      this.format = format;
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

    /** The answer ended: calls that run to its end are read; an unfinished call stays text. */
    public void finish() {
      if (held.isEmpty() && heldLogprobs.isEmpty()) {
        return;
      }
      String text = held.toString();
      held.setLength(0);
      List<GenerateRequest.ToolCall> parsed = null;
      if (format.close == null && Boolean.TRUE.equals(leadingCall)) {
        parsed = format.parse(text);
      } else if (format.close == null && text.startsWith(format.open) && !format.open.isEmpty()) {
        parsed = format.parse(text.substring(format.open.length()));
      }
      if (parsed == null) {
        emit(text, List.of());
      } else {
        calls += parsed.size();
        emit("", parsed);
      }
    }

    private void drain() {
      if (format.open.isEmpty()) {
        drainLeading();
        return;
      }
      while (true) {
        int open = held.indexOf(format.open);
        if (open < 0) {
          int keep = partialPrefix(held, format.open);
          emit(held.substring(0, held.length() - keep), List.of());
          held.delete(0, held.length() - keep);
          return;
        }
        if (open > 0) {
          emit(held.substring(0, open), List.of());
          held.delete(0, open);
        }
        if (format.close == null) {
          return; // the calls run to the end of the answer
        }
        int close = held.indexOf(format.close, format.open.length());
        if (close < 0) {
          return;
        }
        String body = held.substring(format.open.length(), close).strip();
        String whole = held.substring(0, close + format.close.length());
        held.delete(0, close + format.close.length());
        List<GenerateRequest.ToolCall> parsed = format.parse(body);
        if (parsed == null) {
          emit(whole, List.of());
        } else {
          calls += parsed.size();
          emit("", parsed);
        }
      }
    }

    /** Llama 3: a call is the whole answer, which then begins with {@code {} or the python tag. */
    private void drainLeading() {
      if (leadingCall == null) {
        String lead = held.toString().stripLeading();
        if (lead.isEmpty()
            || (ToolCallFormat.PYTHON_TAG.startsWith(lead)
                && lead.length() < ToolCallFormat.PYTHON_TAG.length())) {
          return; // not yet known
        }
        leadingCall = lead.startsWith("{") || lead.startsWith(ToolCallFormat.PYTHON_TAG);
      }
      if (!leadingCall) {
        emit(held.toString(), List.of());
        held.setLength(0);
      }
    }

    private void emit(String text, List<GenerateRequest.ToolCall> toolCalls) {
      if (text.isEmpty() && toolCalls.isEmpty() && heldLogprobs.isEmpty()) {
        return;
      }
      downstream.accept(new GeneratedText(text, List.copyOf(heldLogprobs), toolCalls));
      heldLogprobs.clear();
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
