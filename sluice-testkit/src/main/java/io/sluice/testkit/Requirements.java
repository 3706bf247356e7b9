package io.sluice.testkit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine (a package, a client, a cluster). Missing on a developer's
 * machine, the test is skipped with the reason; missing where {@code CI=true}, it fails: CI
 * installs everything, and a green run must mean that every test ran.
 */
public final class Requirements {
  private Requirements() {}

  public static void require(boolean present, String missing) {
    if (present) {
      return;
    }
    if (inCi()) {
      Assertions.fail(missing + " (CI=true: a missing test dependency fails the run)");
    }
    Assumptions.abort(missing);
  }

  public static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }
}
