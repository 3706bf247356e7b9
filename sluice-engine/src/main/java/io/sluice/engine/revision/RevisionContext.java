package io.sluice.engine.revision;

import io.sluice.engine.events.EventJournal;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.replica.EndpointDirectory;
import io.sluice.engine.replica.RemoteConnector;
import io.sluice.engine.replica.ReplicaHosting;
import io.sluice.engine.residency.Residency;
import io.sluice.engine.residency.SwapQuantum;
import io.sluice.spi.ModelRuntime;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What every revision of every deployment shares: the runtimes by name, the executor that starts
 * replicas in the background, the clock of queue waits and autoscaling, the host's accelerator
 * inventory and memory budget with who holds them, how remote replicas reach their servers, and the
 * journal their lifecycle events go to.
 */
public record RevisionContext(
    Function<String, ModelRuntime> runtimes,
    Executor executor,
    LongSupplier nanoClock,
    Placer placer,
    RemoteConnector remote,
    EndpointDirectory endpoints,
    EventJournal events,
    Residency residency) {

  public RevisionContext(
      Function<String, ModelRuntime> runtimes,
      Executor executor,
      LongSupplier nanoClock,
      Placer placer,
      RemoteConnector remote,
      EndpointDirectory endpoints,
      EventJournal events) {
    this(
        runtimes,
        executor,
        nanoClock,
        placer,
        remote,
        endpoints,
        events,
        new Residency(placer, events, nanoClock, SwapQuantum.DEFAULT, executor));
  }

  public RevisionContext(
      Function<String, ModelRuntime> runtimes,
      Executor executor,
      LongSupplier nanoClock,
      Placer placer) {
    this(runtimes, executor, nanoClock, placer, RemoteConnector.NONE, new EndpointDirectory());
  }

  public RevisionContext(
      Function<String, ModelRuntime> runtimes,
      Executor executor,
      LongSupplier nanoClock,
      Placer placer,
      RemoteConnector remote) {
    this(runtimes, executor, nanoClock, placer, remote, new EndpointDirectory());
  }

  public RevisionContext(
      Function<String, ModelRuntime> runtimes,
      Executor executor,
      LongSupplier nanoClock,
      Placer placer,
      RemoteConnector remote,
      EndpointDirectory endpoints) {
    this(runtimes, executor, nanoClock, placer, remote, endpoints, new EventJournal());
  }

  public ModelRuntime runtimeFor(DeploymentSpec spec) {
    if (spec.hosting() == ReplicaHosting.REMOTE) {
      return null; // the upstream runs the model
    }
    ModelRuntime runtime = runtimes.apply(spec.runtime());
    if (runtime == null) {
      throw new IllegalArgumentException("no runtime named '" + spec.runtime() + "'");
    }
    return runtime;
  }
}
