package io.sluice.server.hardening;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polls a condition until it holds or a deadline passes. */
final class Eventually {
  private Eventually() {}

  static void within(Duration limit, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.call()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the condition did not hold within " + limit);
      }
      Thread.sleep(200);
    }
  }
}
