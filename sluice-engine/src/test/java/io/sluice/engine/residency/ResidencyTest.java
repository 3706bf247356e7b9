package io.sluice.engine.residency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.Tensor;
import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.events.EventJournal;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.model.ScalingSpec;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.placement.ResourceRequest;
import io.sluice.engine.replica.EndpointDirectory;
import io.sluice.engine.replica.RemoteConnector;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaHosting;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.engine.revision.Revision;
import io.sluice.engine.revision.RevisionContext;
import io.sluice.engine.routing.Router;
import io.sluice.engine.stats.ModelStatistics;
import io.sluice.spi.ModelLoadException;
import io.sluice.testkit.EchoRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas under a host memory budget, on a hand-driven clock and an executor that runs tasks at
 * once. Models are echo models whose footprint is their file's size, so the budget's arithmetic is
 * the test's own: a budget of 2,000 bytes holds two 1,000-byte models and never three.
 */
@org.junit.jupiter.api.Timeout(60)
class ResidencyTest {
  private static final long MODEL_BYTES = 1_000;

  @TempDir Path files;

  private final AtomicLong clock = new AtomicLong();
  private final EventJournal journal = new EventJournal();
  private final List<Long> usedSamples = new ArrayList<>();
  private Placer placer;
  private Residency residency;
  private RevisionContext context;
  private int revisions;

  private void budget(long bytes) {
    placer = new Placer(List.of(), bytes);
    residency =
        new Residency(
            placer, journal, clock::get, new SwapQuantum(Duration.ofSeconds(10), 0), Runnable::run);
    context =
        new RevisionContext(
            name -> new EchoRuntime(),
            Runnable::run,
            clock::get,
            placer,
            RemoteConnector.NONE,
            new EndpointDirectory(),
            journal,
            residency);
  }

  /** A deployment that may go to zero replicas (minReplicas 0), of {@code bytes} on disk. */
  private Revision onDemand(String name, long bytes, int priority) throws Exception {
    return revision(name, bytes, priority, 0);
  }

  private Revision revision(String name, long bytes, int priority, int minReplicas)
      throws Exception {
    Path file = files.resolve(name + ".bin");
    Files.write(file, new byte[(int) bytes]);
    AutoscalingSpec autoscaling =
        new AutoscalingSpec(
            minReplicas,
            1,
            minReplicas,
            2,
            Duration.ofSeconds(30),
            Duration.ofMinutes(10),
            Duration.ofMinutes(10),
            Duration.ofSeconds(30),
            1,
            1);
    ScalingSpec scaling =
        new ScalingSpec(1, 4, 100, Duration.ofMinutes(5), null, autoscaling, null);
    DeploymentSpec spec =
        new DeploymentSpec(
            "app",
            name,
            "test-echo",
            file,
            "1",
            Map.of(),
            scaling,
            ResourceRequest.NONE,
            ReplicaHosting.IN_PROCESS,
            null,
            null,
            null,
            null,
            priority,
            null);
    return new Revision(++revisions, spec, context, new ModelStatistics());
  }

  private static int loaded(Revision revision) {
    return (int) revision.replicas().stream().filter(r -> r.state() == ReplicaState.READY).count();
  }

  private void sample() {
    usedSamples.add(placer.hostMemoryUsed());
  }

  /** Answers one request on the leased replica: the echo model returns its input. */
  private static void answers(Router.Lease lease, float value) {
    ByteBuffer data = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value);
    Tensor input = Tensor.of("INPUT0", DataType.FP32, new long[] {1}, data);
    List<Tensor> outputs = lease.replica().model().infer(List.of(input), List.of("INPUT0"));
    assertThat(outputs.getFirst().datatype()).isEqualTo(DataType.FP32);
    assertThat(outputs.getFirst().data().order(ByteOrder.LITTLE_ENDIAN).getFloat(0))
        .isEqualTo(value);
  }

  @Test
  void anIdleReplicaOfAnotherDeploymentLeavesLeastRecentlyUsedFirst() throws Exception {
    budget(2 * MODEL_BYTES);
    Revision a = onDemand("a", MODEL_BYTES, 0);
    Revision b = onDemand("b", MODEL_BYTES, 0);
    Revision c = onDemand("c", MODEL_BYTES, 0);
    a.load();
    b.load();
    sample();
    try (Router.Lease lease = a.acquire().join()) {
      answers(lease, 1f);
    }
    b.acquire().join().close();
    try (Router.Lease lease = a.acquire().join()) {
      answers(lease, 2f); // a is now the more recently used of the two
    }

    c.load();
    sample();

    assertThat(loaded(a)).isEqualTo(1);
    assertThat(loaded(b)).as("b was used least recently").isZero();
    assertThat(loaded(c)).isEqualTo(1);
    assertThat(residency.evictions("b")).isEqualTo(1);
    assertThat(residency.evictions("a")).isZero();
    assertThat(journal.since(0))
        .anySatisfy(
            event -> {
              assertThat(event.kind()).isEqualTo(EngineEvent.Kind.EVICTED);
              assertThat(event.deployment()).isEqualTo("b");
              assertThat(event.message()).contains("to make room for c");
            });

    // b is asked for again: it loads on demand in the room of the least recently used, c
    CompletableFuture<Router.Lease> again = b.acquire();
    sample();
    assertThat(again).isCompleted();
    try (Router.Lease lease = again.join()) {
      answers(lease, 3f);
    }
    assertThat(loaded(c)).isZero();
    assertThat(loaded(a)).isEqualTo(1);
    assertThat(usedSamples).allSatisfy(used -> assertThat(used).isLessThanOrEqualTo(2_000L));
  }

  @Test
  void lowerPriorityLeavesBeforeLessRecentlyUsed() throws Exception {
    budget(2 * MODEL_BYTES);
    Revision important = onDemand("important", MODEL_BYTES, 10);
    Revision casual = onDemand("casual", MODEL_BYTES, 0);
    Revision third = onDemand("third", MODEL_BYTES, 0);
    important.load();
    casual.load();
    casual.acquire().join().close(); // casual is the more recent, but the less important

    third.load();

    assertThat(loaded(important)).isEqualTo(1);
    assertThat(loaded(casual)).isZero();
  }

  @Test
  void neitherAReplicaWithRequestsInFlightNorOneAtItsFloorLeaves() throws Exception {
    budget(2 * MODEL_BYTES);
    Revision pinned = revision("pinned", MODEL_BYTES, 0, 1); // minReplicas 1
    Revision busy = onDemand("busy", MODEL_BYTES, 0);
    Revision waiting = onDemand("waiting", MODEL_BYTES, 0);
    pinned.load();
    busy.load();
    waiting.load(); // at start-up it loads in the room of busy, then busy is asked for
    CompletableFuture<Router.Lease> busyLease = busy.acquire();
    assertThat(busyLease).as("waiting was idle, so it made room").isCompleted();
    assertThat(loaded(waiting)).isZero();

    CompletableFuture<Router.Lease> queued = waiting.acquire();
    residency.tick();
    sample();
    assertThat(queued).as("busy has a request in flight; pinned is at its floor").isNotDone();
    assertThat(waiting.replicas())
        .singleElement()
        .extracting(Replica::state)
        .isEqualTo(ReplicaState.PENDING);
    assertThat(waiting.replicas().getFirst().reason()).contains("host memory: needs 1000 B");
    assertThat(waiting.state())
        .as("a deployment that loads on demand takes requests while it waits for room")
        .isEqualTo(io.sluice.engine.client.ModelState.READY);

    busyLease.join().close();
    residency.tick(); // busy is idle now: it leaves for the request that waits
    sample();
    assertThat(queued).isCompleted();
    assertThat(loaded(pinned)).isEqualTo(1);
    assertThat(loaded(busy)).isZero();
    assertThat(usedSamples).allSatisfy(used -> assertThat(used).isLessThanOrEqualTo(2_000L));
  }

  @Test
  void aModelLargerThanTheWholeBudgetIsRefusedNamingTheSizes() throws Exception {
    budget(2 * MODEL_BYTES);
    Revision huge = onDemand("huge", 3 * MODEL_BYTES, 0);

    assertThatThrownBy(huge::load)
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("2.9 KiB of host memory")
        .hasMessageContaining("the whole budget is 2.0 KiB");
    assertThat(placer.hostMemoryUsed()).isZero();
  }

  @Test
  void aBusyModelIsSwappedOutAfterItsQuantumAndGetsItsTurnBack() throws Exception {
    budget(MODEL_BYTES); // one model at a time
    Revision first = onDemand("first", MODEL_BYTES, 0);
    Revision second = onDemand("second", MODEL_BYTES, 0);
    first.load();
    second.load(); // first leaves, idle

    Router.Lease firstBusy = first.acquire().join(); // second leaves, idle
    CompletableFuture<Router.Lease> secondWaits = second.acquire();
    residency.tick(); // first's quantum starts now
    clock.addAndGet(Duration.ofSeconds(9).toNanos());
    residency.tick();
    assertThat(secondWaits).as("first's quantum (10 s) is not over").isNotDone();

    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    residency.tick(); // first is drained: it takes no new request, finishes the one it has
    CompletableFuture<Router.Lease> firstQueued = first.acquire();
    assertThat(firstQueued).isNotDone();
    assertThat(residency.evictions("first"))
        .as("once for second's start-up load, once for its turn")
        .isEqualTo(2);
    answers(firstBusy, 4f);
    firstBusy.close();

    Router.Lease secondLease = secondWaits.get(30, TimeUnit.SECONDS);
    answers(secondLease, 5f);
    sample();
    assertThat(firstQueued).as("first's request keeps its place for the next turn").isNotDone();
    residency.tick(); // second's quantum starts
    secondLease.close();
    CompletableFuture<Router.Lease> secondAgain = second.acquire(); // second stays busy
    clock.addAndGet(Duration.ofSeconds(10).toNanos());
    residency.tick();
    secondAgain.join().close();
    Router.Lease firstTurn = firstQueued.get(30, TimeUnit.SECONDS);
    answers(firstTurn, 6f);
    firstTurn.close();
    sample();
    assertThat(usedSamples).allSatisfy(used -> assertThat(used).isLessThanOrEqualTo(1_000L));
  }

  @Test
  void keepAliveZeroUnloadsAfterTheRequestAndTheNextRequestLoadsItAgain() throws Exception {
    budget(2 * MODEL_BYTES);
    Revision model = onDemand("model", MODEL_BYTES, 0);
    List<Long> swaps = new ArrayList<>();
    residency.listen((deployment, nanos) -> swaps.add(nanos));
    model.load();
    model.acquire().join().close();

    model.keepAlive(Duration.ZERO);

    assertThat(loaded(model)).isZero();
    assertThat(placer.hostMemoryUsed()).isZero();
    clock.addAndGet(1_234);
    CompletableFuture<Router.Lease> next = model.acquire();
    try (Router.Lease lease = next.join()) {
      answers(lease, 7f);
    }
    assertThat(swaps).as("one load on demand, timed on the engine's clock").containsExactly(0L);
  }

  @Test
  void keepAliveKeepsAnIdleReplicaThatLongThenUnloadsIt() throws Exception {
    budget(2 * MODEL_BYTES);
    Revision model = onDemand("model", MODEL_BYTES, 0);
    model.load();
    model.acquire().join().close();
    model.keepAlive(Duration.ofSeconds(5));

    clock.addAndGet(Duration.ofSeconds(4).toNanos());
    model.tick();
    assertThat(loaded(model)).isEqualTo(1);
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    model.tick();
    assertThat(loaded(model)).isZero();
  }
}
