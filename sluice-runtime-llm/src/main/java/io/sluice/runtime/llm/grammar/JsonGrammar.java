package io.sluice.runtime.llm.grammar;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InvalidInputException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON Schema to a GBNF grammar (llama.cpp's grammar language), so that sampling can only produce
 * JSON that matches the schema: OpenAI's {@code response_format} {@code json_schema}, and
 * function-call arguments. Covers what structured-output schemas use: {@code type} (object, array,
 * string, number, integer, boolean, null, or a list of them), {@code properties} with {@code
 * required} (others optional, in order), {@code items}, {@code minItems}/{@code maxItems}, {@code
 * minLength}/{@code maxLength}, {@code enum}, {@code const}, {@code anyOf}/{@code oneOf}, {@code
 * $ref} into {@code $defs}/{@code definitions}. A schema without a type allows any JSON value.
 * Objects take no properties beyond those listed, as OpenAI's strict mode does. Whitespace is at
 * most one space between tokens, so a model cannot pad forever.
 */
public final class JsonGrammar {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String PRIMITIVES =
      """
      ws ::= | " "
      char ::= [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})
      string ::= "\\"" char* "\\""
      integer ::= "-"? ("0" | [1-9] [0-9]{0,15})
      number ::= integer ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?
      boolean ::= "true" | "false"
      null ::= "null"
      value ::= object | array | string | number | boolean | null
      object ::= "{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"
      array ::= "[" ws ( value ws ( "," ws value ws )* )? "]"
      """;

  private final JsonNode root;
  private final Map<String, String> rules = new LinkedHashMap<>();
  private final Map<String, String> refRules = new LinkedHashMap<>();
  private int counter;

  private JsonGrammar(JsonNode root) {
    this.root = root;
  }

  /** Any JSON object ({@code response_format: json_object}). */
  public static String anyObject() {
    return "root ::= object\n" + PRIMITIVES;
  }

  /** The grammar of JSON matching {@code schema} (JSON text). */
  public static String of(String schema) {
    JsonNode node;
    try {
      node = MAPPER.readTree(schema);
    } catch (JsonProcessingException e) {
      throw new InvalidInputException("the JSON schema is not JSON: " + e.getOriginalMessage());
    }
    return of(node);
  }

  public static String of(JsonNode schema) {
    JsonGrammar grammar = new JsonGrammar(schema);
    String root = grammar.rule(schema, "root-value");
    StringBuilder text = new StringBuilder("root ::= ").append(root).append('\n');
    grammar.rules.forEach(
        (name, body) -> text.append(name).append(" ::= ").append(body).append('\n'));
    return text.append(PRIMITIVES).toString();
  }

  /**
   * Text that JSON of a schema sits in: {@code before}, the JSON, {@code after} (a function call in
   * a model family's syntax, the schema being the function's parameters).
   */
  public record Framed(String before, JsonNode schema, String after) {}

  /** A grammar for exactly one of {@code alternatives}. */
  public static String oneOf(List<Framed> alternatives) {
    List<String> choices = new ArrayList<>();
    StringBuilder rulesText = new StringBuilder();
    int counter = 0;
    for (int i = 0; i < alternatives.size(); i++) {
      Framed framed = alternatives.get(i);
      JsonGrammar grammar = new JsonGrammar(framed.schema());
      grammar.counter = counter;
      String rule = grammar.rule(framed.schema(), "call" + i);
      counter = grammar.counter;
      choices.add(text(framed.before()) + " " + rule + " " + text(framed.after()));
      grammar.rules.forEach(
          (name, body) -> rulesText.append(name).append(" ::= ").append(body).append('\n'));
    }
    return "root ::= " + String.join(" | ", choices) + "\n" + rulesText + PRIMITIVES;
  }

  /** A GBNF literal matching {@code text} exactly. */
  private static String text(String text) {
    StringBuilder literal = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> literal.append("\\\"");
        case '\\' -> literal.append("\\\\");
        case '\n' -> literal.append("\\n");
        case '\r' -> literal.append("\\r");
        case '\t' -> literal.append("\\t");
        default -> literal.append(c);
      }
    }
    return literal.append('"').toString();
  }

  /** A rule expression for {@code schema}; named rules are added to {@link #rules}. */
  private String rule(JsonNode schema, String hint) {
    if (schema == null || schema.isBoolean() || schema.isEmpty()) {
      return "value";
    }
    if (schema.has("$ref")) {
      return reference(schema.get("$ref").asText());
    }
    if (schema.has("const")) {
      return literal(schema.get("const"));
    }
    if (schema.has("enum")) {
      List<String> choices = new ArrayList<>();
      schema.get("enum").forEach(choice -> choices.add(literal(choice)));
      return named(hint, String.join(" | ", choices));
    }
    for (String combinator : List.of("anyOf", "oneOf")) {
      if (schema.has(combinator)) {
        List<String> choices = new ArrayList<>();
        int i = 0;
        for (JsonNode choice : schema.get(combinator)) {
          choices.add(rule(choice, hint + "-" + i++));
        }
        return named(hint, String.join(" | ", choices));
      }
    }
    JsonNode type = schema.get("type");
    if (type != null && type.isArray()) {
      List<String> choices = new ArrayList<>();
      for (JsonNode one : type) {
        choices.add(typed(schema, one.asText(), hint + "-" + one.asText()));
      }
      return named(hint, String.join(" | ", choices));
    }
    if (type == null) {
      return schema.has("properties")
          ? typed(schema, "object", hint)
          : schema.has("items") ? typed(schema, "array", hint) : "value";
    }
    return typed(schema, type.asText(), hint);
  }

  private String typed(JsonNode schema, String type, String hint) {
    return switch (type) {
      case "object" -> object(schema, hint);
      case "array" -> array(schema, hint);
      case "string" -> string(schema, hint);
      case "integer" -> "integer";
      case "number" -> "number";
      case "boolean" -> "boolean";
      case "null" -> "null";
      default ->
          throw new InvalidInputException("the JSON schema names an unknown type '" + type + "'");
    };
  }

  private String object(JsonNode schema, String hint) {
    JsonNode properties = schema.path("properties");
    if (!properties.isObject() || properties.isEmpty()) {
      return "object";
    }
    List<String> requiredNames = new ArrayList<>();
    schema.path("required").forEach(name -> requiredNames.add(name.asText()));
    List<String> required = new ArrayList<>();
    List<String> optional = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> property = it.next();
      String pair =
          literal(MAPPER.getNodeFactory().textNode(property.getKey()))
              + " ws \":\" ws "
              + rule(property.getValue(), hint + "-" + sanitize(property.getKey()));
      (requiredNames.contains(property.getKey()) ? required : optional).add(pair);
    }
    StringBuilder body = new StringBuilder("\"{\" ws ");
    if (!required.isEmpty()) {
      body.append(String.join(" ws \",\" ws ", required)).append(" ws ");
      for (String pair : optional) {
        body.append("( \",\" ws ").append(pair).append(" ws )? ");
      }
    } else {
      // none required: any in-order selection of the optional ones, each after a comma but the
      // first
      List<String> starts = new ArrayList<>();
      for (int first = 0; first < optional.size(); first++) {
        StringBuilder start = new StringBuilder(optional.get(first)).append(" ws ");
        for (int next = first + 1; next < optional.size(); next++) {
          start.append("( \",\" ws ").append(optional.get(next)).append(" ws )? ");
        }
        starts.add(start.toString().strip());
      }
      body.append("( ").append(String.join(" | ", starts)).append(" )? ");
    }
    body.append("\"}\"");
    return named(hint, body.toString());
  }

  private String array(JsonNode schema, String hint) {
    String item = rule(schema.get("items"), hint + "-item");
    int min = schema.path("minItems").asInt(0);
    int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : -1;
    if (max == 0) {
      return named(hint, "\"[\" ws \"]\"");
    }
    String rest =
        max < 0
            ? "( \",\" ws " + item + " ws )*"
            : repeat("\",\" ws " + item + " ws", Math.max(0, min - 1), max - 1);
    String items = item + " ws " + rest;
    return named(hint, "\"[\" ws " + (min == 0 ? "( " + items + " )?" : items) + " \"]\"");
  }

  private String string(JsonNode schema, String hint) {
    if (!schema.has("minLength") && !schema.has("maxLength")) {
      return "string";
    }
    int min = schema.path("minLength").asInt(0);
    String max = schema.has("maxLength") ? Integer.toString(schema.get("maxLength").asInt()) : "";
    return named(hint, "\"\\\"\" char{" + min + "," + max + "} \"\\\"\"");
  }

  private static String repeat(String element, int min, int max) {
    return "( " + element + " ){" + min + "," + max + "}";
  }

  private String reference(String ref) {
    String existing = refRules.get(ref);
    if (existing != null) {
      return existing;
    }
    if (!ref.startsWith("#/")) {
      throw new InvalidInputException("only local $ref (#/$defs/...) are supported, got " + ref);
    }
    JsonNode target = root.at(ref.substring(1));
    if (target.isMissingNode()) {
      throw new InvalidInputException("the JSON schema's $ref " + ref + " points nowhere");
    }
    String name = "ref-" + sanitize(ref.substring(ref.lastIndexOf('/') + 1)) + "-" + counter++;
    refRules.put(ref, name);
    rules.put(name, "value"); // placeholder, so a recursive reference finds the rule
    rules.put(name, rule(target, name + "-body"));
    return name;
  }

  private String named(String hint, String body) {
    String name = sanitize(hint) + "-" + counter++;
    rules.put(name, body);
    return name;
  }

  private static String literal(JsonNode value) {
    String json = value.toString();
    return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String sanitize(String text) {
    String clean = text.replaceAll("[^A-Za-z0-9-]", "-");
    return clean.isEmpty() ? "r" : clean;
  }
}
