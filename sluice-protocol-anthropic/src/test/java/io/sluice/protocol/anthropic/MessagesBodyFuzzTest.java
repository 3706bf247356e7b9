package io.sluice.protocol.anthropic;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.SluiceException;
import io.sluice.http.json.JsonBodies;
import io.vertx.core.buffer.Buffer;

/**
 * Messages request bodies on arbitrary bytes: a request or one of the project's own errors (a 400
 * in Anthropic's shape), nothing else.
 */
class MessagesBodyFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void bodiesBecomeRequestsOrInputErrors(byte[] bytes) {
    JsonNode body;
    try {
      body = JsonBodies.object(Buffer.buffer(bytes));
    } catch (SluiceException expected) {
      return;
    }
    for (boolean requireMaxTokens : new boolean[] {true, false}) {
      try {
        MessagesRequests.parse("m", body, null, requireMaxTokens);
      } catch (SluiceException expected) {
        // answered as 400 in Anthropic's error shape
      }
    }
  }
}
