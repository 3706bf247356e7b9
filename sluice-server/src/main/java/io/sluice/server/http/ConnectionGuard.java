package io.sluice.server.http;

import io.sluice.protocol.kserve.http.HttpReplies;
import io.sluice.server.config.FrontDoorSettings;
import io.netty.channel.ChannelPipeline;
import io.vertx.core.Handler;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slow and idle clients on one event loop: a connection must send a whole request header within the
 * header timeout, keep a request body coming (408 when no byte arrives within the body timeout), and is
 * closed after the idle timeout with no request in flight; past {@code maxConnections} (counted over all
 * event loops) new connections are closed at once. A request in flight, a long stream included, is never
 * cut by these timers: its own deadline is the engine's {@code requestTimeout}.
 *
 * <p>Every connection and request is touched on its event loop only, so the state needs no locks; a
 * periodic sweep (a quarter of the shortest timeout, at most one second) enforces the deadlines.
 */
final class ConnectionGuard {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

  /** The name Vert.x gives Netty's idle-state handler in a connection's pipeline. */
  private static final String IDLE_HANDLER = "idle";

  private final FrontDoorSettings.Limits limits;
  private final AtomicInteger openConnections;
  private final LongAdder acceptedRequests;
  private final LongSupplier clock;
  private final Map<HttpConnection, ConnectionState> connections = new IdentityHashMap<>();

  ConnectionGuard(FrontDoorSettings.Limits limits, AtomicInteger openConnections, LongAdder acceptedRequests,
      LongSupplier clock) {
    this.limits = limits;
    this.openConnections = openConnections;
    this.acceptedRequests = acceptedRequests;
    this.clock = clock;
  }

  /** Starts the sweep on the calling event loop; returns its timer id. */
  long start(Vertx vertx) {
    long shortest = Math.min(limits.headerTimeout().toMillis(),
        Math.min(limits.bodyTimeout().toMillis(), limits.idleTimeout().toMillis()));
    return vertx.setPeriodic(Math.max(10, Math.min(1000, shortest / 4)), id -> sweep());
  }

  void connected(HttpConnection connection) {
    if (openConnections.incrementAndGet() > limits.maxConnections()) {
      openConnections.decrementAndGet();
      log.warn("connection from {} refused: {} connections are open (server.limits.maxConnections)",
          connection.remoteAddress(), limits.maxConnections());
      connection.close();
      return;
    }
    handOverIdleTimeout(connection);
    connections.put(connection, new ConnectionState(clock.getAsLong()));
    connection.closeHandler(closed -> {
      if (connections.remove(connection) != null) {
        openConnections.decrementAndGet();
      }
    });
  }

  /**
   * Vert.x learns of a cleartext connection only once its first request header is complete (it must look
   * for an HTTP/2 preface or an h2c upgrade first), so silent and half-sent first headers are closed by
   * Netty's idle handler, set to the header timeout in the server options. From here on this guard times
   * the connection instead, and the idle handler goes: it would also close connections whose request is
   * still running.
   */
  private static void handOverIdleTimeout(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(IDLE_HANDLER) != null) {
        pipeline.remove(IDLE_HANDLER);
      }
    }
  }

  /** Wraps the request handler so each request is known to the sweep. */
  Handler<HttpServerRequest> tracking(Handler<HttpServerRequest> handler) {
    return request -> {
      acceptedRequests.increment();
      ConnectionState state = connections.get(request.connection());
      if (state != null) {
        long now = clock.getAsLong();
        // Answered requests are pruned by the sweep, never here: Vert.x dispatches an HTTP/2 request holding its
        // connection's lock, and a model thread ending another stream's response holds that response's lock while it
        // waits for the connection's, so asking a response whether it ended from here can deadlock the event loop.
        state.requests.add(new RequestState(request, now));
        state.lastActivity = now;
        state.served = true;
      }
      handler.handle(request);
    };
  }

  void sweep() {
    long now = clock.getAsLong();
    List<HttpConnection> expired = new ArrayList<>();
    for (Map.Entry<HttpConnection, ConnectionState> entry : connections.entrySet()) {
      ConnectionState state = entry.getValue();
      Iterator<RequestState> requests = state.requests.iterator();
      while (requests.hasNext()) {
        RequestState request = requests.next();
        if (request.answered()) {
          requests.remove();
          state.lastActivity = now;
        } else if (!request.request.isEnded() && bodyStalled(request, now)) {
          requests.remove();
          bodyTimedOut(entry.getKey(), request.request);
          state.lastActivity = now;
        }
      }
      if (state.requests.isEmpty()) {
        long allowed = (state.served ? limits.idleTimeout() : limits.headerTimeout()).toNanos();
        if (now - state.lastActivity > allowed) {
          expired.add(entry.getKey());
        }
      }
    }
    for (HttpConnection connection : expired) {
      connection.close();
    }
  }

  private boolean bodyStalled(RequestState request, long now) {
    long read = request.request.bytesRead();
    if (read != request.bytesRead) {
      request.bytesRead = read;
      request.lastProgress = now;
      return false;
    }
    return now - request.lastProgress > limits.bodyTimeout().toNanos();
  }

  private void bodyTimedOut(HttpConnection connection, HttpServerRequest request) {
    log.debug("request body from {} stalled; answering 408", connection.remoteAddress());
    boolean http2 = request.version() == HttpVersion.HTTP_2;
    HttpServerResponse response = request.response();
    if (response.headWritten()) {
      response.reset();
      return;
    }
    if (!http2) {
      response.putHeader("connection", "close");
    }
    // The rest of the body will never be read: an HTTP/1.1 connection cannot carry another request.
    byte[] body = HttpReplies.json(json -> {
      json.writeStartObject();
      json.writeStringField("error", "the request body stopped arriving for " + limits.bodyTimeout().toMillis()
          + " ms (server.limits.bodyTimeout)");
      json.writeEndObject();
    });
    response.setStatusCode(408).putHeader("content-type", "application/json").end(Buffer.buffer(body))
        .onComplete(sent -> {
          if (http2) {
            response.reset();
          } else {
            connection.close();
          }
        });
  }

  private static final class ConnectionState {
    final List<RequestState> requests = new ArrayList<>(1);
    long lastActivity;
    boolean served;

    ConnectionState(long now) {
      this.lastActivity = now;
    }
  }

  private static final class RequestState {
    final HttpServerRequest request;
    long bytesRead;
    long lastProgress;

    RequestState(HttpServerRequest request, long now) {
      this.request = request;
      this.lastProgress = now;
      this.bytesRead = -1;
    }

    boolean answered() {
      return request.response().ended() || request.response().closed();
    }
  }
}
