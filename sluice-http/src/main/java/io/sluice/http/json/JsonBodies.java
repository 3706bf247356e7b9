package io.sluice.http.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InvalidInputException;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/** Reads the JSON object a JSON route takes, with one set of error messages for every protocol. */
public final class JsonBodies {
  public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactories.JSON);

  private JsonBodies() {}

  /** The body as a JSON object; invalid input when it is empty, malformed or not an object. */
  public static JsonNode object(Buffer body) {
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
