package io.sluice.server.http;

import io.sluice.http.LastResort;
import io.sluice.protocol.anthropic.AnthropicErrors;
import io.sluice.protocol.anthropic.AnthropicProtocol;
import io.sluice.protocol.openai.OpenAiErrors;

/**
 * Which protocol's error shape a path answers in: Anthropic's on the Messages routes, OpenAI's on
 * the OpenAI routes, KServe V2's elsewhere.
 */
final class ErrorShapes {
  private ErrorShapes() {}

  /**
   * Whether the path (with or without an application's prefix) is one of the OpenAI-compatible
   * routes.
   */
  static boolean isOpenAi(String path) {
    int v1 = path.indexOf("/v1/");
    if (v1 < 0) {
      return false;
    }
    String rest = path.substring(v1 + 4);
    if (rest.startsWith("models")) {
      return rest.indexOf(':') < 0; // KServe V1's :predict and :explain share the prefix
    }
    return rest.startsWith("chat/")
        || rest.startsWith("completions")
        || rest.startsWith("embeddings")
        || rest.startsWith("audio/")
        || rest.startsWith("rerank")
        || rest.startsWith("responses");
  }

  static LastResort.ErrorBody forPath(String path) {
    if (AnthropicProtocol.owns(path)) {
      return AnthropicErrors.BODY;
    }
    return isOpenAi(path) ? OpenAiErrors.BODY : LastResort.V2;
  }
}
