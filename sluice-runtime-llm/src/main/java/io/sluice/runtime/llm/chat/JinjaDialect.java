package io.sluice.runtime.llm.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chat templates are written for Python's Jinja; Jinjava reads most of them alike but not all (seen
 * on the templates of Qwen3, Llama 3.x and Mistral): {@code not x is none} negates {@code x} before
 * the test, a filter inside a {@code namespace(...)} argument fails, {@code [::-1]} does not parse,
 * and Python's string methods ({@code startswith}, {@code split}, {@code lstrip('\n')}) are
 * missing. This rewrites those forms into equivalent ones Jinjava reads as Jinja does, and adds the
 * string methods as filters with Python's semantics.
 */
final class JinjaDialect {
  private static final Pattern NOT_IS =
      Pattern.compile(
          "\\bnot\\s+([A-Za-z_][\\w.]*(?:\\[[^\\]]*\\])*)\\s+is\\s+(not\\s+)?([A-Za-z_]\\w*)");
  private static final Pattern NAMESPACE = Pattern.compile("namespace\\(([^()]*)\\)");
  private static final Pattern KEYWORD = Pattern.compile("^\\s*([A-Za-z_]\\w*)\\s*=(.*)$");
  private static final Pattern REVERSED =
      Pattern.compile("([A-Za-z_][\\w.]*(?:\\[[^\\]:]*\\])*)\\[::-1\\]");
  private static final Pattern STRING_METHOD =
      Pattern.compile("\\.(lstrip|rstrip|strip|split|startswith|endswith)\\(");

  private JinjaDialect() {}

  /** The template with Python-only forms rewritten for Jinjava. */
  static String rewrite(String template) {
    String text =
        replace(
            NOT_IS,
            template,
            m -> "not (" + m.group(1) + " is " + nullToEmpty(m.group(2)) + m.group(3) + ")");
    text =
        replace(
            NAMESPACE,
            text,
            m -> {
              List<String> arguments = new ArrayList<>();
              for (String argument : m.group(1).split(",")) {
                Matcher keyword = KEYWORD.matcher(argument);
                arguments.add(
                    keyword.matches()
                        ? keyword.group(1) + "=(" + keyword.group(2).strip() + ")"
                        : argument);
              }
              return "namespace(" + String.join(", ", arguments) + ")";
            });
    text = replace(REVERSED, text, m -> "(" + m.group(1) + "|reverse)");
    return replace(STRING_METHOD, text, m -> "|py_" + m.group(1) + "(");
  }

  /** Registers Python's string methods as {@code py_*} filters. */
  static void register(Jinjava jinja) {
    filter(jinja, "py_lstrip", (text, args) -> strip(text, chars(args), true, false));
    filter(jinja, "py_rstrip", (text, args) -> strip(text, chars(args), false, true));
    filter(jinja, "py_strip", (text, args) -> strip(text, chars(args), true, true));
    filter(jinja, "py_startswith", (text, args) -> text.startsWith(args[0]));
    filter(jinja, "py_endswith", (text, args) -> text.endsWith(args[0]));
    filter(jinja, "py_split", (text, args) -> split(text, args.length == 0 ? null : args[0]));
    jinja
        .getGlobalContext()
        .registerFilter(
            new Filter() {
              @Override
              public String getName() {
                return "tojson";
              }

              @Override
              public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return pythonJson(var, args.length == 0 ? null : Integer.valueOf(args[0]));
              }

              @Override
              public Object filter(
                  Object var,
                  JinjavaInterpreter interpreter,
                  Object[] args,
                  java.util.Map<String, Object> kwargs) {
                Object indent = kwargs.getOrDefault("indent", args.length == 0 ? null : args[0]);
                return pythonJson(
                    var, indent == null ? null : Integer.valueOf(indent.toString().strip()));
              }
            });
  }

  /**
   * {@code json.dumps(value, ensure_ascii=False, indent=indent)}, which Hugging Face's {@code
   * tojson} is: {@code ", "} and {@code ": "} between items, or newlines and {@code indent} spaces
   * per level.
   */
  static String pythonJson(Object value, Integer indent) {
    StringBuilder out = new StringBuilder();
    writeJson(out, value, indent, 0);
    return out.toString();
  }

  private static void writeJson(StringBuilder out, Object value, Integer indent, int depth) {
    switch (value) {
      case null -> out.append("null");
      case Boolean flag -> out.append(flag ? "true" : "false");
      case Float number -> out.append(Double.toString(number.doubleValue()));
      case Double number -> out.append(Double.toString(number));
      case Number number -> out.append(number);
      case java.util.Map<?, ?> map -> {
        writeContainer(
            out,
            '{',
            '}',
            new ArrayList<>(map.entrySet()),
            indent,
            depth,
            (entry, level) -> {
              writeString(out, String.valueOf(entry.getKey()));
              out.append(": ");
              writeJson(out, entry.getValue(), indent, level);
            });
      }
      case java.util.Collection<?> list ->
          writeContainer(
              out,
              '[',
              ']',
              new ArrayList<>(list),
              indent,
              depth,
              (item, level) -> writeJson(out, item, indent, level));
      case Object[] array ->
          writeContainer(
              out,
              '[',
              ']',
              List.of(array),
              indent,
              depth,
              (item, level) -> writeJson(out, item, indent, level));
      default -> writeString(out, value.toString());
    }
  }

  private static <T> void writeContainer(
      StringBuilder out,
      char open,
      char close,
      List<T> items,
      Integer indent,
      int depth,
      java.util.function.BiConsumer<T, Integer> item) {
    out.append(open);
    if (items.isEmpty()) {
      out.append(close);
      return;
    }
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        out.append(indent == null ? ", " : ",");
      }
      if (indent != null) {
        out.append('\n').append(" ".repeat(indent * (depth + 1)));
      }
      item.accept(items.get(i), depth + 1);
    }
    if (indent != null) {
      out.append('\n').append(" ".repeat(indent * depth));
    }
    out.append(close);
  }

  private static void writeString(StringBuilder out, String text) {
    out.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static void filter(
      Jinjava jinja, String name, BiFunction<String, String[], Object> method) {
    jinja
        .getGlobalContext()
        .registerFilter(
            new Filter() {
              @Override
              public String getName() {
                return name;
              }

              @Override
              public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return method.apply(var == null ? "" : var.toString(), args);
              }
            });
  }

  private static String chars(String[] args) {
    return args.length == 0 || args[0] == null ? null : args[0];
  }

  /** Python's {@code str.strip(chars)}: whitespace when {@code chars} is null. */
  static String strip(String text, String chars, boolean leading, boolean trailing) {
    int start = 0;
    int end = text.length();
    while (leading && start < end && strips(text.charAt(start), chars)) {
      start++;
    }
    while (trailing && end > start && strips(text.charAt(end - 1), chars)) {
      end--;
    }
    return text.substring(start, end);
  }

  private static boolean strips(char c, String chars) {
    return chars == null ? Character.isWhitespace(c) : chars.indexOf(c) >= 0;
  }

  /** Python's {@code str.split(separator)}: empty pieces kept; runs of whitespace when null. */
  static List<String> split(String text, String separator) {
    List<String> pieces = new ArrayList<>();
    if (separator == null) {
      for (String piece : text.strip().split("\\s+")) {
        if (!piece.isEmpty()) {
          pieces.add(piece);
        }
      }
      return pieces;
    }
    int from = 0;
    for (int at; (at = text.indexOf(separator, from)) >= 0; from = at + separator.length()) {
      pieces.add(text.substring(from, at));
    }
    pieces.add(text.substring(from));
    return pieces;
  }

  private static String nullToEmpty(String text) {
    return text == null ? "" : text;
  }

  private static String replace(
      Pattern pattern, String text, java.util.function.Function<Matcher, String> replacement) {
    Matcher matcher = pattern.matcher(text);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      matcher.appendReplacement(out, Matcher.quoteReplacement(replacement.apply(matcher)));
    }
    matcher.appendTail(out);
    return out.toString();
  }
}
