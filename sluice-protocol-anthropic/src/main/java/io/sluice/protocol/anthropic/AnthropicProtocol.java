package io.sluice.protocol.anthropic;

import io.sluice.engine.client.EngineClient;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.vertx.ext.web.Router;

/**
 * Anthropic's Messages API, what Claude Code and the Anthropic SDKs speak ({@code
 * ANTHROPIC_BASE_URL} pointed at a Sluice prefix), over the engine's generation.
 */
public final class AnthropicProtocol {
  private final EngineClient engine;
  private final RequestObserver observer;

  public AnthropicProtocol(EngineClient engine, RequestObserver observer) {
    this.engine = engine;
    this.observer = observer;
  }

  /** The Messages routes for the models in {@code scope}. */
  public void mount(Router router, ModelScope scope) {
    new MessagesRoutes(engine, scope, observer).mount(router);
  }

  /** Whether {@code path} (with or without an application's prefix) is one of these routes. */
  public static boolean owns(String path) {
    return path.contains("/v1/messages");
  }
}
