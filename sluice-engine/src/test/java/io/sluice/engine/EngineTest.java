package io.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.Tensor;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.revision.RevisionContext;
import io.sluice.spi.ModelLoadException;
import io.sluice.testkit.EchoRuntime;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The engine without any transport: futures in, futures out. */
class EngineTest {
  private Engine engine;

  private Engine engine(Map<String, String> settings) throws ModelLoadException {
    close();
    var executor = Executors.newFixedThreadPool(4, r -> new Thread(r, "model-worker"));
    EchoRuntime runtime = new EchoRuntime();
    RevisionContext context =
        new RevisionContext(name -> runtime, executor, System::nanoTime, new Placer(List.of()));
    Deployment echo =
        new Deployment(
            new DeploymentSpec("app", "echo", "test-echo", Path.of("."), "2", settings),
            null,
            context);
    Deployment broken =
        new Deployment(
            new DeploymentSpec(
                "app", "broken", "test-echo", Path.of("."), null, Map.of("failLoad", "true")),
            null,
            context);
    engine = new Engine(new ModelRegistry(List.of(echo, broken)), executor);
    echo.load();
    return engine;
  }

  @AfterEach
  void close() {
    if (engine != null) {
      engine.close();
    }
  }

  private static Tensor floats(String name, float... values) {
    ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : values) {
      buffer.putFloat(value);
    }
    return Tensor.of(name, DataType.FP32, new long[] {values.length}, buffer.flip());
  }

  private static InferRequest request(String model, Tensor... inputs) {
    return new InferRequest(model, null, "r1", Map.of(), List.of(inputs), null);
  }

  private static Throwable failure(CompletableFuture<?> future) {
    assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    return future.handle((ok, error) -> error).join();
  }

  @Test
  void inferenceRunsOnTheModelExecutorAndEchoesTheId() throws Exception {
    engine(Map.of("delayMs", "200"));
    CompletableFuture<String> thread =
        engine
            .infer(request("echo", floats("INPUT0", 1, 2)))
            .thenApply(response -> Thread.currentThread().getName());
    assertThat(thread.get(5, TimeUnit.SECONDS)).isEqualTo("model-worker");
    InferResponse response =
        engine.infer(request("echo", floats("INPUT0", 1, 2))).get(5, TimeUnit.SECONDS);
    assertThat(response.id()).isEqualTo("r1");
    assertThat(response.modelVersion()).isEqualTo("2");
    assertThat(response.outputs().get(0).data()).isEqualTo(floats("INPUT0", 1, 2).data());
  }

  @Test
  void eachCauseFailsWithItsOwnException() throws Exception {
    engine(Map.of());
    assertThat(failure(engine.infer(request("nope", floats("INPUT0", 1)))))
        .isInstanceOf(ModelNotFoundException.class);
    assertThat(
            failure(
                engine.infer(
                    new InferRequest(
                        "echo", "9", null, Map.of(), List.of(floats("INPUT0", 1)), null))))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("no version '9'");
    assertThat(failure(engine.infer(request("broken", floats("INPUT0", 1)))))
        .isInstanceOf(ModelNotReadyException.class);
    assertThat(failure(engine.infer(request("echo", floats("OTHER", 1)))))
        .isInstanceOf(InvalidInputException.class);
    Tensor fail =
        Tensor.ofBytes(
            "INPUT0", new long[] {1}, List.of("test:fail".getBytes(StandardCharsets.UTF_8)));
    assertThat(failure(engine(Map.of("inputs", "INPUT0:BYTES:-1")).infer(request("echo", fail))))
        .isInstanceOf(InferenceFailedException.class)
        .hasMessageContaining("injected failure");
  }

  @Test
  void failedLoadIsRecordedWithItsReasonAndKeepsTheServerUnready() throws Exception {
    engine(Map.of());
    assertThat(engine.isReady()).isTrue();
    assertThatThrownBy(() -> engine.load("broken").get(5, TimeUnit.SECONDS))
        .hasMessageContaining("injected load failure");
    Deployment broken = engine.registry().find("broken").orElseThrow();
    assertThat(broken.state()).isEqualTo(ModelState.FAILED);
    assertThat(broken.status().reason()).isEqualTo("injected load failure");
    assertThat(engine.isReady()).isFalse();
  }

  @Test
  void unloadWaitsForInFlightRequestsAndThenRefusesNewOnes() throws Exception {
    engine(Map.of("delayMs", "300"));
    CompletableFuture<InferResponse> inFlight = engine.infer(request("echo", floats("INPUT0", 1)));
    Thread.sleep(50);
    engine.unload("echo").get(5, TimeUnit.SECONDS);
    assertThat(inFlight).isCompleted();
    assertThat(inFlight.get().outputs()).hasSize(1);
    assertThat(failure(engine.infer(request("echo", floats("INPUT0", 1)))))
        .isInstanceOf(ModelNotReadyException.class)
        .hasMessageContaining("not loaded");
    engine.load("echo").get(5, TimeUnit.SECONDS);
    assertThat(
            engine.infer(request("echo", floats("INPUT0", 1))).get(5, TimeUnit.SECONDS).outputs())
        .hasSize(1);
  }

  @Test
  void outputsComeInTheRequestedOrder() throws Exception {
    engine(Map.of("inputs", "a:FP32:-1;b:FP32:-1"));
    InferResponse response =
        engine
            .infer(
                new InferRequest(
                    "echo",
                    null,
                    null,
                    Map.of(),
                    List.of(floats("a", 1), floats("b", 2)),
                    List.of("b", "a")))
            .get(5, TimeUnit.SECONDS);
    assertThat(response.outputs()).extracting(Tensor::name).containsExactly("b", "a");
    assertThat(
            failure(
                engine.infer(
                    new InferRequest(
                        "echo",
                        null,
                        null,
                        Map.of(),
                        List.of(floats("a", 1), floats("b", 2)),
                        List.of("c")))))
        .isInstanceOf(InvalidInputException.class);
  }

  @Test
  void closingDoesNotWaitForeverOnACallThatNeverReturns() throws Exception {
    engine(Map.of("delayMs", "600000"));
    CompletableFuture<InferResponse> stuck = engine.infer(request("echo", floats("INPUT0", 1)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (engine.registry().find("echo").orElseThrow().inFlight() == 0
        && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    long started = System.nanoTime();
    engine.close(java.time.Duration.ofMillis(300));
    engine = null;
    assertThat((System.nanoTime() - started) / 1e9).as("seconds to close").isLessThan(5);
    // The model threads are interrupted once the patience is spent: the echo's sleep ends, and its
    // caller gets an error.
    assertThat(failure(stuck)).isNotNull();
  }
}
