package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InvalidInputException;
import io.sluice.protocol.kserve.json.JsonFactories;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/** Reads the JSON object every OpenAI route takes, with one set of error messages. */
final class OpenAiBodies {
  static final ObjectMapper MAPPER = new ObjectMapper(JsonFactories.JSON);

  private OpenAiBodies() {}

  static JsonNode object(Buffer body) {
    if (body == null || body.length() == 0) {
      throw new InvalidInputException("the request body is empty; expected JSON");
    }
    try {
      JsonNode node = MAPPER.readTree(body.getBytes());
      if (node == null || !node.isObject()) {
        throw new InvalidInputException("the request body must be a JSON object");
      }
      return node;
    } catch (IOException e) {
      throw new InvalidInputException("malformed JSON: " + e.getMessage().split("\n")[0]);
    }
  }

  /**
   * An integer field, or null when absent or null. A fraction, a string or a number past the int range is refused:
   * Jackson's {@code asInt} would truncate {@code 99999999999999999999} to an arbitrary positive int.
   */
  static Integer integer(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw new InvalidInputException(field + " must be an integer between " + Integer.MIN_VALUE + " and "
          + Integer.MAX_VALUE + ", got " + abbreviated(node));
    }
    return node.intValue();
  }

  private static String abbreviated(JsonNode node) {
    String text = node.toString();
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
