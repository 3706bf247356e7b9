package io.sluice.server.access;

/** A token bucket: {@code rate} tokens a second, holding at most {@code capacity}. Thread-safe. */
public final class TokenBucket {
  private final double ratePerNano;
  private final double capacity;
  private double tokens;
  private long updatedAt;

  public TokenBucket(double ratePerSecond, int capacity, long now) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.capacity = capacity;
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /**
   * Takes one token if there is one; returns 0 then, else the nanoseconds until one will be there.
   */
  public synchronized long take(long now) {
    tokens = Math.min(capacity, tokens + (now - updatedAt) * ratePerNano);
    updatedAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return (long) Math.ceil((1 - tokens) / ratePerNano);
  }

  /** Whether the bucket has been full for a while, so it can be forgotten. */
  synchronized boolean idleSince(long now, long nanos) {
    return tokens + (now - updatedAt) * ratePerNano >= capacity && now - updatedAt > nanos;
  }
}
