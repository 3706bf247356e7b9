package io.sluice.protocol.kserve.v2;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InvalidInputException;
import io.sluice.http.HttpReplies;
import io.sluice.http.json.JsonFactories;
import io.sluice.http.json.JsonIntegers;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Bodies of the V2 generate extension (KServe's {@code generate_rest.yaml}). */
final class GenerateBody {
  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactories.JSON);

  /** The extension's default {@code max_tokens}. */
  private static final int DEFAULT_MAX_TOKENS = 20;

  private GenerateBody() {}

  static GenerateRequest read(String model, Buffer body, String revision) {
    JsonNode root;
    try {
      root = body == null || body.length() == 0 ? null : MAPPER.readTree(body.getBytes());
    } catch (IOException e) {
      throw new InvalidInputException("malformed JSON: " + e.getMessage().split("\n")[0]);
    }
    if (root == null || !root.isObject() || !root.path("text_input").isTextual()) {
      throw new InvalidInputException(
          "the body must be {\"text_input\": \"...\", \"parameters\": {...}}");
    }
    JsonNode parameters = root.path("parameters");
    Integer requested = JsonIntegers.intField(parameters, "max_tokens");
    int maxTokens = requested == null ? DEFAULT_MAX_TOKENS : requested;
    if (maxTokens < 1) {
      throw new InvalidInputException("max_tokens must be a positive integer");
    }
    List<String> stop = new ArrayList<>();
    parameters.path("stop").forEach(s -> stop.add(s.asText()));
    if (parameters.path("stop").isTextual()) {
      stop.add(parameters.path("stop").asText());
    }
    return new GenerateRequest(
        model,
        revision,
        root.path("text_input").asText(),
        null,
        maxTokens,
        number(parameters, "temperature", 0, 2),
        number(parameters, "top_p", 0, 1),
        stop,
        JsonIntegers.longField(parameters, "seed"));
  }

  private static Float number(JsonNode parameters, String field, float min, float max) {
    JsonNode node = parameters.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    double value = node.asDouble();
    if (!node.isNumber() || value < min || value > max) {
      throw new InvalidInputException(
          field + " must be a number between " + (int) min + " and " + (int) max);
    }
    return (float) value;
  }

  /** The extension's finish reasons: {@code length}, {@code stop_sequence}, {@code eos_token}. */
  static String finishReason(GenerateResult result, GenerateRequest request) {
    if (result.finishReason().equals("length")) {
      return "length";
    }
    return request.stop().isEmpty() ? "eos_token" : "stop_sequence";
  }

  /** One response object, or one stream event; {@code finishReason} adds {@code details}. */
  static byte[] event(String model, String text, String finishReason) {
    return HttpReplies.json(
        json -> {
          json.writeStartObject();
          json.writeStringField("text_output", text);
          json.writeStringField("model_name", model);
          if (finishReason != null) {
            json.writeObjectFieldStart("details");
            json.writeStringField("finish_reason", finishReason);
            json.writeEndObject();
          }
          json.writeEndObject();
        });
  }
}
