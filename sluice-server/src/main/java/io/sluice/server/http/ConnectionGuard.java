package io.sluice.server.http;

import io.netty.channel.ChannelPipeline;
import io.sluice.http.HttpReplies;
import io.sluice.server.config.FrontDoorSettings;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.Http2ServerConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Slow and idle clients on one event loop: a connection must send a whole request header within the
 * header timeout, keep a request body coming (408 when no byte arrives within the body timeout),
 * and is closed after the idle timeout with no request in flight; past {@code maxConnections}
 * (counted over all event loops) new connections are closed at once. A request in flight, a long
 * stream included, is never cut by these timers: its own deadline is the engine's {@code
 * requestTimeout}. On HTTP/2, a client's PINGs follow {@link PingPolicy}, and a connection with
 * requests in flight is pinged every {@code keepAliveTime} and closed when the answer takes longer
 * than {@code keepAliveTimeout} (a peer that vanished).
 *
 * <p>Every connection and request is touched on its event loop only, so the state needs no locks; a
 * periodic sweep (a quarter of the shortest timeout, at most 100 ms) enforces the deadlines.
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
  private Vertx vertx;
  private boolean draining;

  ConnectionGuard(
      FrontDoorSettings.Limits limits,
      AtomicInteger openConnections,
      LongAdder acceptedRequests,
      LongSupplier clock) {
    this.limits = limits;
    this.openConnections = openConnections;
    this.acceptedRequests = acceptedRequests;
    this.clock = clock;
  }

  /** Starts the sweep on the calling event loop; returns its timer id. */
  long start(Vertx vertx) {
    this.vertx = vertx;
    long shortest =
        java.util.stream.LongStream.of(
                limits.headerTimeout().toMillis(),
                limits.bodyTimeout().toMillis(),
                limits.idleTimeout().toMillis(),
                limits.keepAliveTime().toMillis(),
                limits.keepAliveTimeout().toMillis())
            .min()
            .orElseThrow();
    return vertx.setPeriodic(Math.max(10, Math.min(SWEEP_PERIOD_MS, shortest / 4)), id -> sweep());
  }

  void connected(HttpConnection connection) {
    if (openConnections.incrementAndGet() > limits.maxConnections()) {
      openConnections.decrementAndGet();
      log.warn(
          "connection from {} refused: {} connections are open (server.limits.maxConnections)",
          connection.remoteAddress(),
          limits.maxConnections());
      connection.close();
      return;
    }
    handOverIdleTimeout(connection);
    ConnectionState state = new ConnectionState(clock.getAsLong());
    connections.put(connection, state);
    if (connection instanceof Http2ServerConnection) {
      consolidateFlushes(connection);
      state.pings = new PingPolicy(limits.minPingInterval().toNanos());
      connection.pingHandler(ping -> pinged(connection, state));
    }
    connection.closeHandler(
        closed -> {
          if (connections.remove(connection) != null) {
            openConnections.decrementAndGet();
          }
        });
  }

  /**
   * Vert.x learns of a cleartext connection only once its first request header is complete (it must
   * look for an HTTP/2 preface or an h2c upgrade first), so silent and half-sent first headers are
   * closed by Netty's idle handler, set to the header timeout in the server options. From here on
   * this guard times the connection instead, and the idle handler goes: it would also close
   * connections whose request is still running.
   */
  private static void handOverIdleTimeout(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(IDLE_HANDLER) != null) {
        pipeline.remove(IDLE_HANDLER);
      }
    }
  }

  /** See {@link FlushCoalescer}: a gRPC answer goes out in one write, not three. */
  private static void consolidateFlushes(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      base.channel().pipeline().addFirst(new FlushCoalescer());
    }
  }

  /** Wraps the request handler so each request is known to the sweep. */
  Handler<HttpServerRequest> tracking(Handler<HttpServerRequest> handler) {
    return request -> {
      acceptedRequests.increment();
      ConnectionState state = connections.get(request.connection());
      if (state != null) {
        long now = clock.getAsLong();
        if (state.pings == null) {
          // HTTP/1.1: what came before on this connection has been answered (a request still
          // tracked holds its whole request and response until pruned: at tens of thousands of
          // requests a second, a second's worth was most of what each young collection copied)
          state.requests.removeIf(RequestState::answered);
        }
        // HTTP/2's answered requests are pruned by the sweep, never here: Vert.x dispatches an
        // HTTP/2 request holding its connection's lock, and a model thread ending another stream's
        // response holds that response's lock while it waits for the connection's, so asking a
        // response whether it ended from here can deadlock the event loop.
        state.requests.add(new RequestState(request, now));
        state.requestsSeen++;
        state.lastActivity = now;
        state.served = true;
      }
      if (draining) {
        if (state != null && state.pings != null) {
          sendAway(request.connection(), state, clock.getAsLong());
        } else {
          closeAfterAnswer(request);
        }
      }
      handler.handle(request);
    };
  }

  /**
   * From now on HTTP/1.1 answers carry {@code Connection: close}, answers still to be written
   * included, and HTTP/2 connections are sent away ({@link #sendAway}). An idle HTTP/1.1 connection
   * is left open: its client's next request on it is answered with {@code Connection: close}.
   * Closing it instead would race with a client reusing it from its pool at that moment, and that
   * request would be lost (POSTs are not retried); what is still idle when the drain's bound is
   * over is closed by the server's shutdown.
   */
  void drain() {
    if (draining) {
      return;
    }
    draining = true;
    long now = clock.getAsLong();
    for (Map.Entry<HttpConnection, ConnectionState> entry : connections.entrySet()) {
      ConnectionState state = entry.getValue();
      if (state.pings != null) {
        sendAway(entry.getKey(), state, now);
      } else {
        for (RequestState request : state.requests) {
          closeAfterAnswer(request.request);
        }
      }
    }
  }

  /**
   * The first of two GOAWAYs (RFC 9113, 6.8): its last stream id is the largest there is, so the
   * client opens no new stream here but none it already sent is refused; the sweep sends the final
   * one a {@link #GOAWAY_GRACE} later, and closes the connection once its streams have been
   * answered for as long again. The JDK's HTTP/2 client reads a connection's end before the last
   * frames before it and fails their requests with "EOF reached while reading" (still so in JDK
   * 25): closing right after the last answer, as a plain graceful shutdown does, loses it.
   */
  private static void sendAway(HttpConnection connection, ConnectionState state, long now) {
    if (state.goingAwaySince == NOT_SENT) {
      state.goingAwaySince = now;
      connection.goAway(0, Integer.MAX_VALUE);
    }
  }

  /** True once a connection sent away can close: its streams answered a while ago. */
  private static boolean goneAway(HttpConnection connection, ConnectionState state, long now) {
    if (state.goingAwaySince == NOT_SENT || now - state.goingAwaySince < GOAWAY_GRACE) {
      return false;
    }
    if (!state.finalGoAway) {
      state.finalGoAway = true;
      connection.goAway(0, -1); // the last stream it opened
      return false;
    }
    return state.requests.isEmpty() && now - state.lastActivity >= GOAWAY_GRACE;
  }

  private static void closeAfterAnswer(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2 && !request.response().headWritten()) {
      try {
        request.response().putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      } catch (IllegalStateException headJustWritten) {
        // a model thread wrote the head meanwhile: this answer goes out as keep-alive, and the
        // client's next request on the connection is told to close
      }
    }
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
          if (state.pings != null) {
            state.prunedBytes += request.bytesMoved();
          }
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
      if (state.pings != null
          && (keepAliveExpired(entry.getKey(), state, now)
              || goneAway(entry.getKey(), state, now))) {
        expired.add(entry.getKey());
      }
    }
    for (HttpConnection connection : expired) {
      connection.close();
    }
  }

  private void pinged(HttpConnection connection, ConnectionState state) {
    if (!state.sentAway && !state.pings.accept(clock.getAsLong(), state.progress())) {
      state.sentAway = true; // PINGs already on the way are answered by Netty and ignored here
      log.warn(
          "closing the HTTP/2 connection from {}: PINGs closer than {} ms with nothing else moving "
              + "(server.limits.minPingInterval)",
          connection.remoteAddress(),
          limits.minPingInterval().toMillis());
      connection.goAway(PingPolicy.ENHANCE_YOUR_CALM, -1, Buffer.buffer(PingPolicy.TOO_MANY_PINGS));
      connection.close();
    }
  }

  /**
   * Pings an HTTP/2 connection whose requests have been in flight for {@code keepAliveTime} since
   * the last answered ping; true when the previous ping went unanswered for {@code
   * keepAliveTimeout}.
   */
  private boolean keepAliveExpired(HttpConnection connection, ConnectionState state, long now) {
    if (state.requests.isEmpty()) {
      state.keepAliveSince = now;
      state.keepAliveSentAt = NOT_SENT;
      return false;
    }
    if (state.keepAliveSentAt != NOT_SENT) {
      if (now - state.keepAliveSentAt <= limits.keepAliveTimeout().toNanos()) {
        return false;
      }
      log.debug(
          "closing the HTTP/2 connection from {}: no answer to a keep-alive PING in {} ms "
              + "(server.limits.keepAliveTimeout)",
          connection.remoteAddress(),
          limits.keepAliveTimeout().toMillis());
      return true;
    }
    if (now - state.keepAliveSince >= limits.keepAliveTime().toNanos()) {
      state.keepAliveSentAt = now;
      connection
          .ping(Buffer.buffer().appendLong(now))
          .onSuccess(
              ack -> {
                state.keepAliveSentAt = NOT_SENT;
                state.keepAliveSince = clock.getAsLong();
              });
    }
    return false;
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
    byte[] body =
        HttpReplies.json(
            json -> {
              json.writeStartObject();
              json.writeStringField(
                  "error",
                  "the request body stopped arriving for "
                      + limits.bodyTimeout().toMillis()
                      + " ms (server.limits.bodyTimeout)");
              json.writeEndObject();
            });
    response
        .setStatusCode(408)
        .putHeader("content-type", "application/json")
        .end(Buffer.buffer(body))
        .onComplete(
            sent -> {
              if (http2) {
                response.reset();
              } else {
                connection.close();
              }
            });
  }

  private static final long NOT_SENT = Long.MIN_VALUE;

  /**
   * At most this long between sweeps: an answered HTTP/2 request stays tracked, its request and
   * response with it, until the next one.
   */
  private static final long SWEEP_PERIOD_MS = 100;

  /**
   * Between the two GOAWAYs of a drain, and from a sent-away connection's last answer to its close.
   */
  private static final long GOAWAY_GRACE = TimeUnit.SECONDS.toNanos(1);

  private static final class ConnectionState {
    final List<RequestState> requests = new ArrayList<>(1);
    long lastActivity;
    boolean served;

    /** HTTP/2 only (null on HTTP/1.1). */
    PingPolicy pings;

    boolean sentAway;
    long requestsSeen;
    long prunedBytes;
    long keepAliveSince;
    long keepAliveSentAt = NOT_SENT;

    /** HTTP/2, draining: when the first GOAWAY went, and whether the final one has. */
    long goingAwaySince = NOT_SENT;

    boolean finalGoAway;

    ConnectionState(long now) {
      this.lastActivity = now;
      this.keepAliveSince = now;
    }

    /** Grows whenever the connection carries a new request or request or response bytes. */
    long progress() {
      long bytes = prunedBytes;
      for (RequestState request : requests) {
        bytes += request.bytesMoved();
      }
      return requestsSeen + bytes;
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

    /**
     * Whether the answer is over. A WebSocket handshake (101) is not: the connection now carries
     * the socket, which lasts until it closes and is never idle in this sense.
     */
    boolean answered() {
      HttpServerResponse response = request.response();
      return response.closed() || (response.ended() && response.getStatusCode() != 101);
    }

    long bytesMoved() {
      return request.bytesRead() + request.response().bytesWritten();
    }
  }
}
