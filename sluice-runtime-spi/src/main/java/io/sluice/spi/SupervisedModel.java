package io.sluice.spi;

import java.time.Duration;

/**
 * A model living outside this JVM (a worker process, a remote or upstream server), whose health the
 * engine checks every few seconds. A model that fails a check is closed and its replica started
 * again from its runtime, so requests stop going to it and readiness says so meanwhile.
 */
public interface SupervisedModel extends LoadedModel {
  /** Whether it answers within {@code timeout}; must not throw. */
  boolean ping(Duration timeout);
}
