package io.sluice.engine.replica;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ReplicaUnavailableException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.engine.Engine;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.model.ScalingSpec;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.placement.ResourceRequest;
import io.sluice.engine.revision.RevisionContext;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.SupervisedModel;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A remote deployment whose endpoint is a group of servers ({@link EndpointDirectory}): one replica
 * per server, following the group as servers come and go; requests wait while the group is empty
 * and are answered once a server joins; a request whose server cannot be reached is tried on
 * another.
 */
class GroupEndpointTest {
  private static final URI SERVICE =
      URI.create("http://linear-predictor-00001.ns.svc.cluster.local");
  private static final URI A = URI.create("http://10.0.0.1:8080");
  private static final URI B = URI.create("http://10.0.0.2:8080");

  private final EndpointDirectory directory = new EndpointDirectory();

  /** Servers that refuse connections, as a deleted pod does. */
  private final Set<URI> down = ConcurrentHashMap.newKeySet();

  private volatile Engine engine;
  private volatile Deployment deployment;

  /**
   * A fake upstream: answers with the server it runs on, or cannot be reached when that server is
   * down.
   */
  private final class FakeUpstream implements SupervisedModel {
    private final URI server;

    FakeUpstream(URI server) {
      this.server = server;
    }

    @Override
    public ModelMetadata metadata() {
      return new ModelMetadata(
          "linear",
          List.of("1"),
          "fake",
          List.of(new TensorMetadata("x", DataType.FP32, new long[] {-1})),
          List.of(new TensorMetadata("server", DataType.BYTES, new long[] {1})));
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      if (down.contains(server)) {
        throw new ReplicaUnavailableException(server + " refused the connection", null);
      }
      return List.of(
          Tensor.ofBytes(
              "server",
              new long[] {1},
              List.of(server.toString().getBytes(StandardCharsets.UTF_8))));
    }

    @Override
    public boolean ping(Duration timeout) {
      return !down.contains(server);
    }

    @Override
    public void close() {}
  }

  private void start(List<URI> servers) throws ModelLoadException {
    start(servers, System::nanoTime);
  }

  private void start(List<URI> servers, java.util.function.LongSupplier nanoClock)
      throws ModelLoadException {
    directory.update(Map.of(SERVICE.getHost(), servers));
    RemoteConnector connector =
        (id, spec) -> {
          if (down.contains(spec.endpoint())) {
            throw new ModelLoadException(spec.endpoint() + " refused the connection");
          }
          return new FakeUpstream(spec.endpoint());
        };
    var executor = Executors.newFixedThreadPool(8);
    RevisionContext context =
        new RevisionContext(
            name -> null, executor, nanoClock, new Placer(List.of()), connector, directory);
    ScalingSpec scaling = new ScalingSpec(1, 4, 100, Duration.ofSeconds(20), null, null, null);
    deployment =
        new Deployment(
            new DeploymentSpec(
                "linear",
                "linear",
                "v2",
                Path.of("."),
                "1",
                Map.of(),
                scaling,
                ResourceRequest.NONE,
                ReplicaHosting.REMOTE,
                SERVICE,
                null,
                null,
                null),
            null,
            context);
    engine = new Engine(new ModelRegistry(List.of(deployment)), executor, Duration.ofMillis(100));
    deployment.load();
  }

  @AfterEach
  void close() {
    if (engine != null) {
      engine.close();
    }
  }

  private CompletableFuture<String> ask() {
    return engine
        .infer(
            new InferRequest(
                "linear",
                null,
                "r",
                Map.of(),
                List.of(Tensor.of("x", DataType.FP32, new long[] {1}, ByteBuffer.allocate(4))),
                null))
        .thenApply(
            response -> {
              ByteBuffer data = response.outputs().getFirst().data();
              byte[] bytes = new byte[data.order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0)];
              data.get(4, bytes);
              return new String(bytes, StandardCharsets.UTF_8);
            });
  }

  private static void await(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private Set<URI> servers() {
    Set<URI> servers = new java.util.HashSet<>();
    for (Replica replica : deployment.replicas()) {
      if (replica.state() == ReplicaState.READY) {
        servers.add(replica.server());
      }
    }
    return servers;
  }

  @Test
  void eachServerOfTheGroupIsAReplicaAndTheGroupIsFollowed() throws Exception {
    start(List.of(A, B));
    await(() -> servers().equals(Set.of(A, B)));
    Set<String> answered = new java.util.HashSet<>();
    for (int i = 0; i < 40; i++) {
      answered.add(ask().get(5, TimeUnit.SECONDS));
    }
    assertThat(answered).containsExactlyInAnyOrder(A.toString(), B.toString());

    directory.update(Map.of(SERVICE.getHost(), List.of(B)));
    await(() -> servers().equals(Set.of(B)));
    for (int i = 0; i < 10; i++) {
      assertThat(ask().get(5, TimeUnit.SECONDS)).isEqualTo(B.toString());
    }
  }

  @Test
  void aGroupThatStaysEmptyFailsToLoadAndSaysWhy() throws Exception {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
    // the wait reads the hand-driven clock between naps; each read moves it 21 s on, past the
    // 20 s maxQueueWait, so it gives up after its first look
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> start(List.of(), () -> now.getAndAdd(Duration.ofSeconds(21).toNanos())))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("no server behind " + SERVICE + " became ready within 20 s");
    assertThat(deployment.state()).isEqualTo(io.sluice.engine.client.ModelState.FAILED);
    assertThat(deployment.status().reason()).contains("became ready within 20 s");
  }

  @Test
  void requestsWaitWhileTheGroupIsEmptyAndAreAnsweredWhenAServerJoins() throws Exception {
    start(List.of(A));
    directory.update(Map.of(SERVICE.getHost(), List.of()));
    await(() -> servers().isEmpty());
    assertThat(deployment.latest().state())
        .as("at zero servers it is READY: traffic must not move to a previous revision")
        .isEqualTo(io.sluice.engine.client.ModelState.READY);
    List<CompletableFuture<String>> waiting = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      waiting.add(ask());
    }
    Thread.sleep(300);
    assertThat(waiting).noneMatch(CompletableFuture::isDone);
    assertThat(deployment.serving().router().load().queued()).isEqualTo(20);

    directory.update(Map.of(SERVICE.getHost(), List.of(B)));
    for (CompletableFuture<String> answer : waiting) {
      assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo(B.toString());
    }
  }

  @Test
  void requestsSentWhileTheFirstLoadWaitsForAServerAreAnsweredByIt() throws Exception {
    CompletableFuture<Void> loaded =
        CompletableFuture.runAsync(
            () -> {
              try {
                start(List.of());
              } catch (ModelLoadException e) {
                throw new java.util.concurrent.CompletionException(e);
              }
            });
    await(() -> engine != null && deployment.latest().awaitingServers());
    List<CompletableFuture<String>> waiting = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      waiting.add(ask());
    }
    Thread.sleep(300);
    assertThat(waiting).noneMatch(CompletableFuture::isDone);

    directory.update(Map.of(SERVICE.getHost(), List.of(A)));
    loaded.get(10, TimeUnit.SECONDS);
    for (CompletableFuture<String> answer : waiting) {
      assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo(A.toString());
    }
  }

  @Test
  void aRequestWhoseServerIsUnreachableIsTriedOnAnother() throws Exception {
    start(List.of(A, B));
    await(() -> servers().equals(Set.of(A, B)));
    down.add(A); // the pod is gone, but the group has not caught up yet
    for (int i = 0; i < 40; i++) {
      assertThat(ask().get(5, TimeUnit.SECONDS)).isEqualTo(B.toString());
    }
    assertThat(servers()).containsExactly(B);
  }

  @Test
  void whenTheOnlyServerIsGoneBeforeTheGroupNoticesRequestsWaitForItsReplacement()
      throws Exception {
    start(List.of(A));
    await(() -> servers().equals(Set.of(A)));
    down.add(A); // scaled to zero: the pod is gone, the group has not caught up yet
    List<CompletableFuture<String>> waiting = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      waiting.add(ask());
    }
    await(() -> deployment.replicas().stream().anyMatch(Replica::crashLooping));
    Thread.sleep(300); // what follows a failed restart has run: before, it failed every request
    assertThat(waiting).noneMatch(CompletableFuture::isDone);

    directory.update(Map.of(SERVICE.getHost(), List.of(B))); // its replacement is ready
    for (CompletableFuture<String> answer : waiting) {
      assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo(B.toString());
    }
  }
}
