package io.sluice.protocol.openai;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.SluiceException;
import io.vertx.core.buffer.Buffer;

/**
 * OpenAI request bodies (chat, completions, responses, embeddings) on arbitrary bytes: a request or
 * one of the project's own errors, nothing else.
 */
class OpenAiBodyFuzzTest {
  @FuzzTest(maxDuration = "30s")
  void bodiesBecomeRequestsOrInputErrors(byte[] bytes) {
    JsonNode body;
    try {
      body = OpenAiBodies.object(Buffer.buffer(bytes));
    } catch (SluiceException expected) {
      return;
    }
    for (boolean chat : new boolean[] {true, false}) {
      try {
        CompletionRequests.parse("m", body, chat, null);
      } catch (SluiceException expected) {
        // answered as 400 in OpenAI's error shape
      }
    }
    try {
      ResponsesRequests.parse("m", body, null, null);
    } catch (SluiceException expected) {
      // answered as 400 in OpenAI's error shape
    }
    try {
      OpenAiRoutes.texts(body.path("input"));
      if (body.has("dimensions")) {
        OpenAiRoutes.positive(body.get("dimensions"));
      }
    } catch (SluiceException expected) {
      // answered as 400 in OpenAI's error shape
    }
  }
}
