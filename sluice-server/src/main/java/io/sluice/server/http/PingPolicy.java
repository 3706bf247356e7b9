package io.sluice.server.http;

/**
 * gRPC's rule for a client's HTTP/2 PINGs (grpc-java's {@code permitKeepAliveTime}, gRFC A8): a
 * PING is fine when the connection has moved data since the previous one (keep-alives of a busy
 * connection, and the flow-control probes gRPC clients send as they receive data), or when at least
 * the minimum interval has passed since the last fine one. Any other PING is a strike; the third
 * strike in a row ends the connection with GOAWAY {@code ENHANCE_YOUR_CALM} "too_many_pings", which
 * gRPC clients answer by pinging less often.
 *
 * <p>Confined to the connection's event loop.
 */
final class PingPolicy {
  /** HTTP/2's error code for a peer generating excessive load. */
  static final long ENHANCE_YOUR_CALM = 0xB;

  static final String TOO_MANY_PINGS = "too_many_pings";
  private static final int MAX_STRIKES = 2;

  private final long minIntervalNanos;
  private long lastFinePing;
  private long progressAtLastPing = -1;
  private int strikes;

  PingPolicy(long minIntervalNanos) {
    this.minIntervalNanos = minIntervalNanos;
  }

  /**
   * Judges a PING that arrived at {@code now}; {@code progress} is any count that grows whenever
   * the connection carries a request or response bytes. Returns false when the connection should be
   * closed.
   */
  boolean accept(long now, long progress) {
    if (progress != progressAtLastPing || now - lastFinePing >= minIntervalNanos) {
      progressAtLastPing = progress;
      lastFinePing = now;
      strikes = 0;
      return true;
    }
    return ++strikes <= MAX_STRIKES;
  }
}
