package io.sluice.engine.revision;

import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.placement.Placer;
import io.sluice.spi.ModelRuntime;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What every revision of every deployment shares: the runtimes by name, the executor that starts replicas
 * in the background, the clock of queue waits and autoscaling, and the host's accelerator inventory.
 */
public record RevisionContext(
    Function<String, ModelRuntime> runtimes, Executor executor, LongSupplier nanoClock, Placer placer) {

  public ModelRuntime runtimeFor(DeploymentSpec spec) {
    ModelRuntime runtime = runtimes.apply(spec.runtime());
    if (runtime == null) {
      throw new IllegalArgumentException("no runtime named '" + spec.runtime() + "'");
    }
    return runtime;
  }
}
