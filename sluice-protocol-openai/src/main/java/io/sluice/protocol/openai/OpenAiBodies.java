package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.http.json.JsonBodies;
import io.vertx.core.buffer.Buffer;

/** Reads the JSON object every OpenAI route takes, with one set of error messages. */
final class OpenAiBodies {
  static final ObjectMapper MAPPER = JsonBodies.MAPPER;

  private OpenAiBodies() {}

  static JsonNode object(Buffer body) {
    return JsonBodies.object(body);
  }
}
