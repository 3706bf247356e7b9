package io.sluice.protocol.openai.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.GenerateOptions;
import io.sluice.pipelines.voice.TurnDetector;
import io.sluice.protocol.openai.InvalidParameterException;
import java.util.ArrayList;
import java.util.List;

/**
 * A realtime session's settings, as {@code session.update} changes them and {@code
 * session.created}/{@code session.updated} report them (the GA shape: {@code output_modalities},
 * {@code audio.input.format}, {@code audio.input.turn_detection}, {@code audio.output.format},
 * {@code audio.output.voice}, {@code instructions}). Fields an update leaves out keep their value.
 */
final class SessionSettings {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  String model;
  String instructions;
  boolean audioOut = true;
  AudioFormat input = AudioFormat.PCM;
  AudioFormat output = AudioFormat.PCM;
  String voice = "alloy";

  /** Null: turns end when the client commits ({@code turn_detection: null}). */
  TurnDetector.Settings turnDetection = TurnDetector.Settings.DEFAULT;

  boolean createResponse = true;
  boolean interruptResponse = true;
  Integer maxOutputTokens;
  List<GenerateOptions.Tool> tools = List.of();
  String toolChoice = "auto";

  SessionSettings(String model, boolean vadAvailable) {
    this.model = model;
    if (!vadAvailable) {
      turnDetection = null;
    }
  }

  /**
   * Applies a {@code session} object; throws {@link InvalidParameterException} naming a bad field.
   */
  void update(JsonNode session, boolean vadAvailable) {
    if (session == null || !session.isObject()) {
      throw new InvalidParameterException("session", "invalid_value", "session must be an object");
    }
    if (session.has("instructions")) {
      instructions = text(session.get("instructions"), "session.instructions");
    }
    if (session.has("output_modalities")) {
      audioOut = modalities(session.get("output_modalities"), "session.output_modalities");
    }
    if (session.has("max_output_tokens")) {
      maxOutputTokens = maxTokens(session.get("max_output_tokens"), "session.max_output_tokens");
    }
    if (session.has("tools")) {
      tools = tools(session.get("tools"), "session.tools");
    }
    if (session.has("tool_choice")) {
      toolChoice = toolChoice(session.get("tool_choice"), "session.tool_choice");
    }
    JsonNode audio = session.path("audio");
    JsonNode in = audio.path("input");
    if (in.has("format")) {
      input = format(in.get("format"), "session.audio.input.format");
    }
    if (in.has("turn_detection")) {
      JsonNode detection = in.get("turn_detection");
      if (detection.isNull()) {
        turnDetection = null;
      } else {
        turnDetection(detection, vadAvailable);
      }
    }
    JsonNode out = audio.path("output");
    if (out.has("format")) {
      output = format(out.get("format"), "session.audio.output.format");
    }
    if (out.has("voice")) {
      voice = text(out.get("voice"), "session.audio.output.voice");
    }
  }

  private void turnDetection(JsonNode detection, boolean vadAvailable) {
    String param = "session.audio.input.turn_detection";
    String type = detection.path("type").asText("server_vad");
    if (!type.equals("server_vad")) {
      throw new InvalidParameterException(
          param + ".type",
          "invalid_value",
          "turn_detection type '" + type + "' is not supported; supported: server_vad, or null");
    }
    if (!vadAvailable) {
      throw new InvalidParameterException(
          param,
          "invalid_value",
          "this voice pipeline has no voice activity model (its 'vad'): commit the audio buffer"
              + " yourself, with turn_detection null");
    }
    TurnDetector.Settings current =
        turnDetection == null ? TurnDetector.Settings.DEFAULT : turnDetection;
    double threshold = detection.path("threshold").asDouble(current.threshold());
    int padding = detection.path("prefix_padding_ms").asInt(current.prefixPaddingMs());
    int silence = detection.path("silence_duration_ms").asInt(current.silenceDurationMs());
    try {
      turnDetection = new TurnDetector.Settings((float) threshold, padding, silence);
    } catch (IllegalArgumentException e) {
      throw new InvalidParameterException(param, "invalid_value", e.getMessage());
    }
    createResponse = detection.path("create_response").asBoolean(createResponse);
    interruptResponse = detection.path("interrupt_response").asBoolean(interruptResponse);
  }

  static boolean modalities(JsonNode modalities, String param) {
    if (!modalities.isArray() || modalities.size() != 1) {
      throw new InvalidParameterException(
          param, "invalid_value", "output_modalities must be [\"audio\"] or [\"text\"]");
    }
    return switch (modalities.get(0).asText()) {
      case "audio" -> true;
      case "text" -> false;
      default ->
          throw new InvalidParameterException(
              param, "invalid_value", "output_modalities must be [\"audio\"] or [\"text\"]");
    };
  }

  /** Function tools: {@code [{type: "function", name, description, parameters}]}. */
  static List<GenerateOptions.Tool> tools(JsonNode value, String param) {
    if (!value.isArray()) {
      throw new InvalidParameterException(param, "invalid_value", "tools must be an array");
    }
    List<GenerateOptions.Tool> tools = new ArrayList<>();
    for (JsonNode tool : value) {
      if (!tool.path("type").asText("function").equals("function")
          || !tool.path("name").isTextual()) {
        throw new InvalidParameterException(
            param,
            "invalid_value",
            "a tool is {type: \"function\", name, description, parameters}");
      }
      JsonNode parameters = tool.get("parameters");
      tools.add(
          new GenerateOptions.Tool(
              tool.get("name").asText(),
              tool.path("description").asText(null),
              parameters == null || parameters.isNull() ? null : parameters.toString()));
    }
    return List.copyOf(tools);
  }

  /** {@code auto}, {@code none}, {@code required} or {@code {type: "function", name}}. */
  static String toolChoice(JsonNode value, String param) {
    if (value.isTextual() && List.of("auto", "none", "required").contains(value.asText())) {
      return value.asText();
    }
    if (value.isObject() && value.path("name").isTextual()) {
      return value.get("name").asText();
    }
    throw new InvalidParameterException(
        param,
        "invalid_value",
        "tool_choice must be auto, none, required or {type: \"function\", name}");
  }

  static Integer maxTokens(JsonNode value, String param) {
    if (value.isTextual() && value.asText().equals("inf")) {
      return null;
    }
    if (!value.canConvertToInt() || value.asInt() < 1) {
      throw new InvalidParameterException(
          param, "invalid_value", "must be a positive integer or \"inf\"");
    }
    return value.asInt();
  }

  private static AudioFormat format(JsonNode format, String param) {
    AudioFormat parsed = AudioFormat.of(format.path("type").asText(""), param + ".type");
    if (format.has("rate") && format.get("rate").asInt() != parsed.rate) {
      throw new InvalidParameterException(
          param + ".rate",
          "invalid_value",
          parsed.type + " is at " + parsed.rate + " Hz, got " + format.get("rate").asText());
    }
    return parsed;
  }

  private static String text(JsonNode value, String param) {
    if (!value.isTextual()) {
      throw new InvalidParameterException(param, "invalid_value", param + " must be a string");
    }
    return value.asText();
  }

  ObjectNode toJson(String id, String defaultInstructions) {
    ObjectNode session = JSON.objectNode();
    session.put("type", "realtime");
    session.put("object", "realtime.session");
    session.put("id", id);
    session.put("model", model);
    session.putArray("output_modalities").add(audioOut ? "audio" : "text");
    session.put("instructions", instructions == null ? defaultInstructions : instructions);
    if (maxOutputTokens == null) {
      session.put("max_output_tokens", "inf");
    } else {
      session.put("max_output_tokens", maxOutputTokens);
    }
    var toolList = session.putArray("tools");
    for (GenerateOptions.Tool tool : tools) {
      ObjectNode node = toolList.addObject();
      node.put("type", "function");
      node.put("name", tool.name());
      if (tool.description() != null) {
        node.put("description", tool.description());
      }
      if (tool.parameters() != null) {
        try {
          node.set(
              "parameters",
              new com.fasterxml.jackson.databind.ObjectMapper().readTree(tool.parameters()));
        } catch (java.io.IOException e) {
          throw new IllegalStateException(e); // written from a parsed tree
        }
      }
    }
    if (List.of("auto", "none", "required").contains(toolChoice)) {
      session.put("tool_choice", toolChoice);
    } else {
      ObjectNode choice = session.putObject("tool_choice");
      choice.put("type", "function");
      choice.put("name", toolChoice);
    }
    ObjectNode audio = session.putObject("audio");
    ObjectNode in = audio.putObject("input");
    format(in.putObject("format"), input);
    if (turnDetection == null) {
      in.putNull("turn_detection");
    } else {
      ObjectNode detection = in.putObject("turn_detection");
      detection.put("type", "server_vad");
      detection.put("threshold", turnDetection.threshold());
      detection.put("prefix_padding_ms", turnDetection.prefixPaddingMs());
      detection.put("silence_duration_ms", turnDetection.silenceDurationMs());
      detection.put("create_response", createResponse);
      detection.put("interrupt_response", interruptResponse);
    }
    ObjectNode out = audio.putObject("output");
    format(out.putObject("format"), output);
    out.put("voice", voice);
    return session;
  }

  private static void format(ObjectNode node, AudioFormat format) {
    node.put("type", format.type);
    if (format == AudioFormat.PCM) {
      node.put("rate", format.rate);
    }
  }
}
