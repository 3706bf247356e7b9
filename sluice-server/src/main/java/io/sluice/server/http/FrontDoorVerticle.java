package io.sluice.server.http;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Consumer;

/**
 * One event loop's HTTP server. Deployed with several instances, Vert.x binds the port once and spreads
 * connections over the instances' event loops (port 0 included: the instances share one random port).
 */
public final class FrontDoorVerticle extends VerticleBase {
  private final HttpServerOptions options;
  private final Handler<HttpServerRequest> handler;
  private final Consumer<HttpServer> onListening;

  public FrontDoorVerticle(HttpServerOptions options, Handler<HttpServerRequest> handler, Consumer<HttpServer> onListening) {
    this.options = options;
    this.handler = handler;
    this.onListening = onListening;
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(options).requestHandler(handler).listen().onSuccess(onListening::accept);
  }
}
