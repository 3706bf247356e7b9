package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InvalidInputException;
import io.sluice.http.json.JsonFactories;
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
}
