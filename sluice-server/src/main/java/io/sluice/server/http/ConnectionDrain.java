package io.sluice.server.http;

import io.vertx.core.Context;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The first step of a graceful stop, shared by every event loop's {@link ConnectionGuard}: from
 * {@link #start} on, HTTP/1.1 answers carry {@code Connection: close} and HTTP/2 connections get a
 * GOAWAY, so clients move to another server before this one closes anything; a keep-alive
 * connection the server closed under a client's next request would lose that request (POSTs are not
 * retried).
 */
public final class ConnectionDrain {
  private final List<Runnable> guards = new CopyOnWriteArrayList<>();
  private volatile boolean started;

  void register(Context context, ConnectionGuard guard) {
    Runnable drain = () -> context.runOnContext(ignored -> guard.drain());
    guards.add(drain);
    if (started) {
      drain.run();
    }
  }

  /**
   * Starts draining every registered event loop; what is still open when the server stops is closed
   * by its shutdown. Idempotent.
   */
  public synchronized void start() {
    if (!started) {
      started = true;
      guards.forEach(Runnable::run);
    }
  }
}
