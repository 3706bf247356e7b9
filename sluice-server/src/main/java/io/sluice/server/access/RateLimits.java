package io.sluice.server.access;

import io.sluice.server.config.FrontDoorSettings;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;

/**
 * Request rates per API key and per application (token buckets), and concurrent text generations
 * per API key. Buckets are created on first use and forgotten once full and idle for a minute.
 */
public final class RateLimits {
  private static final long FORGET_NANOS = 60_000_000_000L;

  private final FrontDoorSettings.RateLimit perKey;
  private final LongSupplier clock;
  private final Map<String, TokenBucket> keyBuckets = new ConcurrentHashMap<>();
  private final Map<String, TokenBucket> applicationBuckets = new ConcurrentHashMap<>();
  private final Map<String, Semaphore> generations = new ConcurrentHashMap<>();

  public RateLimits(FrontDoorSettings.RateLimit perKey, LongSupplier clock) {
    this.perKey = perKey;
    this.clock = clock;
  }

  /** Whether requests from this key may be limited at all: spares the lookups when nothing is. */
  public boolean limitsKeys() {
    return perKey.limitsRequests() || perKey.maxConcurrentGenerations() > 0;
  }

  /** Whether concurrent generations per key are limited at all. */
  public boolean limitsGenerations() {
    return perKey.maxConcurrentGenerations() > 0;
  }

  /** Takes a request from the key's bucket: 0 when allowed, else nanoseconds until one would be. */
  public long takeForKey(String keyFingerprint) {
    if (!perKey.limitsRequests()) {
      return 0;
    }
    long now = clock.getAsLong();
    return keyBuckets
        .computeIfAbsent(
            keyFingerprint, k -> new TokenBucket(perKey.requestsPerSecond(), perKey.burst(), now))
        .take(now);
  }

  /**
   * Takes a request from the application's bucket: 0 when allowed, else nanoseconds until one would
   * be.
   */
  public long takeForApplication(String application, FrontDoorSettings.RateLimit limit) {
    if (!limit.limitsRequests()) {
      return 0;
    }
    long now = clock.getAsLong();
    return applicationBuckets
        .computeIfAbsent(
            application, a -> new TokenBucket(limit.requestsPerSecond(), limit.burst(), now))
        .take(now);
  }

  /**
   * Starts a generation for the key; returns false when it already runs {@code
   * maxConcurrentGenerations}. A true answer must be followed by {@link #generationEnded}.
   */
  public boolean generationStarted(String keyFingerprint) {
    if (perKey.maxConcurrentGenerations() <= 0) {
      return true;
    }
    return generations
        .computeIfAbsent(keyFingerprint, k -> new Semaphore(perKey.maxConcurrentGenerations()))
        .tryAcquire();
  }

  public void generationEnded(String keyFingerprint) {
    if (perKey.maxConcurrentGenerations() > 0) {
      generations.get(keyFingerprint).release();
    }
  }

  /** Forgets buckets that are full and unused, so one-off keys do not accumulate. */
  public void forgetIdle() {
    long now = clock.getAsLong();
    keyBuckets.values().removeIf(bucket -> bucket.idleSince(now, FORGET_NANOS));
    applicationBuckets.values().removeIf(bucket -> bucket.idleSince(now, FORGET_NANOS));
  }
}
