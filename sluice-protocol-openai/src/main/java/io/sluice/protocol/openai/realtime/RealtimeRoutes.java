package io.sluice.protocol.openai.realtime;

import io.sluice.engine.client.EngineClient;
import io.sluice.pipelines.voice.VoicePipeline;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * OpenAI's Realtime API for a voice pipeline: a WebSocket at {@code {prefix}/v1/realtime} and at
 * {@code /v1/realtime?model={pipeline}} (what the {@code openai} SDK's {@code OpenAIRealtimeWS}
 * opens with a base URL ending in {@code /v1}), each connection a {@link RealtimeSession}.
 */
public final class RealtimeRoutes {
  private final VoicePipeline pipeline;
  private final EngineClient engine;

  public RealtimeRoutes(VoicePipeline pipeline, EngineClient engine) {
    this.pipeline = pipeline;
    this.engine = engine;
  }

  /** Mounts the routes; they are returned so that they can be removed. */
  public List<Route> mount(Router router, String prefix) {
    String name = pipeline.spec().name();
    return List.of(
        router.get(prefix + "/v1/realtime").handler(this::upgrade),
        router
            .get("/v1/realtime")
            .handler(
                ctx -> {
                  if (name.equals(ctx.request().getParam("model"))) {
                    upgrade(ctx);
                  } else {
                    ctx.next(); // another pipeline's, or none: 404
                  }
                }));
  }

  private void upgrade(RoutingContext ctx) {
    String upgrade = ctx.request().getHeader("upgrade");
    if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
      ctx.response()
          .setStatusCode(426)
          .putHeader("content-type", "application/json")
          .end(
              "{\"error\":{\"message\":\"the Realtime API is a WebSocket: connect with"
                  + " Upgrade: websocket\",\"type\":\"invalid_request_error\",\"param\":null,"
                  + "\"code\":\"upgrade_required\"}}");
      return;
    }
    String model = ctx.request().getParam("model");
    ctx.request()
        .toWebSocket()
        .onSuccess(
            socket -> {
              new RealtimeSession(
                      socket,
                      Vertx.currentContext(),
                      pipeline,
                      engine,
                      model == null ? pipeline.spec().name() : model)
                  .start();
            });
  }
}
