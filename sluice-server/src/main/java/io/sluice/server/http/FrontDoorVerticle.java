package io.sluice.server.http;

import io.sluice.server.config.FrontDoorSettings;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One event loop's HTTP server. Deployed with several instances, Vert.x binds the port once and
 * spreads connections over the instances' event loops (port 0 included: the instances share one
 * random port). Each instance guards its own connections ({@link ConnectionGuard}); the connection
 * count and the {@link ConnectionDrain} are shared.
 */
public final class FrontDoorVerticle extends VerticleBase {
  private final HttpServerOptions options;
  private final Handler<HttpServerRequest> handler;
  private final FrontDoorSettings.Limits limits;
  private final AtomicInteger openConnections;
  private final LongAdder acceptedRequests;
  private final ConnectionDrain drain;
  private final Consumer<HttpServer> onListening;

  public FrontDoorVerticle(
      HttpServerOptions options,
      Handler<HttpServerRequest> handler,
      FrontDoorSettings.Limits limits,
      AtomicInteger openConnections,
      LongAdder acceptedRequests,
      ConnectionDrain drain,
      Consumer<HttpServer> onListening) {
    this.options = options;
    this.handler = handler;
    this.limits = limits;
    this.openConnections = openConnections;
    this.acceptedRequests = acceptedRequests;
    this.drain = drain;
    this.onListening = onListening;
  }

  @Override
  public Future<?> start() {
    ConnectionGuard guard =
        new ConnectionGuard(limits, openConnections, acceptedRequests, System::nanoTime);
    guard.start(vertx);
    drain.register(context, guard);
    return vertx
        .createHttpServer(options)
        .connectionHandler(guard::connected)
        .requestHandler(guard.tracking(handler))
        .listen()
        .onSuccess(onListening::accept);
  }
}
