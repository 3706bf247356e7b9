package io.sluice.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.api.Tensor;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.model.ScalingSpec;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import io.sluice.spi.SupervisedModel;
import io.sluice.testkit.EchoRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The router on a hand-driven clock with real (echo) replicas; nothing sleeps. */
class RouterTest {
  private final AtomicLong clock = new AtomicLong();
  private final AtomicInteger wakeUps = new AtomicInteger();

  private Router router(int maxOngoing, int maxQueued) {
    ScalingSpec spec =
        new ScalingSpec(1, maxOngoing, maxQueued, Duration.ofSeconds(5), null, null, null);
    return new Router("m", spec, clock::get, wakeUps::incrementAndGet);
  }

  private static Replica replica(String id) throws Exception {
    Replica replica =
        new Replica(
            id,
            new DeploymentSpec("a", "m", "test-echo", Path.of("."), "1", Map.of()),
            new EchoRuntime());
    replica.start();
    return replica;
  }

  private static Throwable failure(CompletableFuture<?> future) {
    return future.handle((ok, error) -> error).join();
  }

  @Test
  void powerOfTwoChoicesSpreadsRequestsEvenly() throws Exception {
    Router router = router(1000, 10);
    List<Replica> replicas = List.of(replica("a"), replica("b"), replica("c"), replica("d"));
    replicas.forEach(router::add);
    for (int i = 0; i < 400; i++) {
      assertThat(router.acquire()).isCompleted();
    }
    for (Replica replica : replicas) {
      assertThat(replica.ongoing()).isBetween(85, 115);
    }
  }

  @Test
  void neverExceedsMaxOngoingRequestsAndQueuesInOrder() throws Exception {
    Router router = router(2, 10);
    Replica only = replica("a");
    router.add(only);
    Router.Lease first = router.acquire().join();
    router.acquire().join();
    CompletableFuture<Router.Lease> third = router.acquire();
    CompletableFuture<Router.Lease> fourth = router.acquire();
    assertThat(only.ongoing()).isEqualTo(2);
    assertThat(third).isNotDone();
    assertThat(router.load()).isEqualTo(new Router.Load(2, 2, 1, 0, 2));
    first.close();
    assertThat(third).isCompleted();
    assertThat(fourth).isNotDone();
    assertThat(only.ongoing()).isEqualTo(2);
  }

  @Test
  void aFullQueueRejectsWithRetryAfter() throws Exception {
    Router router = router(1, 1);
    router.add(replica("a"));
    router.acquire().join();
    router.acquire();
    Throwable rejected = failure(router.acquire());
    assertThat(rejected)
        .isInstanceOf(ServerOverloadedException.class)
        .hasMessageContaining("at capacity");
    assertThat(((ServerOverloadedException) rejected).retryAfter())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(router.load().rejected()).isEqualTo(1);
  }

  @Test
  void queuedRequestsExpireAfterMaxQueueWait() throws Exception {
    Router router = router(1, 10);
    router.add(replica("a"));
    router.acquire().join();
    CompletableFuture<Router.Lease> waiting = router.acquire();
    clock.addAndGet(Duration.ofSeconds(4).toNanos());
    router.expireWaiters();
    assertThat(waiting).isNotDone();
    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    router.expireWaiters();
    assertThat(failure(waiting))
        .isInstanceOf(ServerOverloadedException.class)
        .hasMessageContaining("within 5000 ms");
  }

  @Test
  void aRequestWithNoReplicaWakesTheDeploymentAndIsServedOnceOneIsReady() throws Exception {
    Router router = router(1, 10);
    List<CompletableFuture<Router.Lease>> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(router.acquire());
    }
    assertThat(wakeUps.get())
        .as("each request that finds no replica asks; the deployment starts one")
        .isEqualTo(3);
    assertThat(held).noneMatch(CompletableFuture::isDone);
    router.add(replica("a"));
    assertThat(held.get(0)).isCompleted();
    held.get(0).join().close();
    held.get(1).join().close();
    held.get(2).join().close();
  }

  @Test
  void cancelledWaitersAreSkipped() throws Exception {
    Router router = router(1, 10);
    Replica only = replica("a");
    router.add(only);
    Router.Lease busy = router.acquire().join();
    CompletableFuture<Router.Lease> cancelled = router.acquire();
    CompletableFuture<Router.Lease> next = router.acquire();
    cancelled.cancel(false);
    busy.close();
    assertThat(next).isCompleted();
    assertThat(only.ongoing()).isEqualTo(1);
  }

  @Test
  void requestsQueuedWhileAReplicaRestartsReachItOnceItIsReadyAgain() throws Exception {
    Router router = router(1, 10);
    AtomicInteger healthy = new AtomicInteger(1);
    ModelRuntime supervised =
        new ModelRuntime() {
          @Override
          public String name() {
            return "supervised-echo";
          }

          @Override
          public LoadedModel load(ModelSource source) throws ModelLoadException {
            LoadedModel echo = new EchoRuntime().load(source);
            return new SupervisedModel() {
              @Override
              public boolean ping(Duration timeout) {
                return healthy.get() == 1;
              }

              @Override
              public ModelMetadata metadata() {
                return echo.metadata();
              }

              @Override
              public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
                return echo.infer(inputs, outputNames);
              }

              @Override
              public void close() {
                echo.close();
              }
            };
          }
        };
    Replica replica =
        new Replica(
            "a",
            new DeploymentSpec("a", "m", "supervised-echo", Path.of("."), "1", Map.of()),
            supervised);
    replica.start();
    router.add(replica);
    healthy.set(0);
    replica.checkHealth(Duration.ofSeconds(1));
    assertThat(replica.state()).isEqualTo(ReplicaState.FAILED);
    CompletableFuture<Router.Lease> queued = router.acquire();
    assertThat(queued).isNotDone();
    healthy.set(1);
    replica.restart();
    router.readyAgain();
    assertThat(queued).isCompleted();
    assertThat(replica.ongoing()).isEqualTo(1);
  }

  @Test
  void closingFailsQueuedRequestsAndRefusesNewOnes() throws Exception {
    Router router = router(1, 10);
    router.add(replica("a"));
    router.acquire().join();
    CompletableFuture<Router.Lease> waiting = router.acquire();
    router.close("is not loaded");
    assertThat(failure(waiting)).isInstanceOf(ModelNotReadyException.class);
    assertThat(failure(router.acquire())).isInstanceOf(ModelNotReadyException.class);
  }
}
