package io.sluice.engine.replica;

import io.sluice.spi.LoadedModel;
import java.time.Duration;

/** A model living outside this JVM (a worker process, an upstream server), whose health can be checked. */
public interface SupervisedModel extends LoadedModel {
  /** Whether it answers within {@code timeout}; must not throw. */
  boolean ping(Duration timeout);
}
