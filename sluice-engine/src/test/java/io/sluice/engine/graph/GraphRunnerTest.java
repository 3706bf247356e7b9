package io.sluice.engine.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.RequestTimeoutException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Graph node semantics on deployments that compute known functions of one number. */
class GraphRunnerTest {
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final CompletableFuture<InferResponse> never = new CompletableFuture<>();
  private final GraphRunner runner = new GraphRunner(new Functions(), timer);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  /**
   * {@code plus1}, {@code double}, {@code negate} on input {@code x}; {@code broken} refuses;
   * {@code stuck} never answers.
   */
  private final class Functions implements StepTarget {
    private final Map<String, DoubleUnaryOperator> functions =
        Map.of(
            "plus1", x -> x + 1, "double", x -> 2 * x, "negate", x -> -x, "a", x -> 1, "b", x -> 2);

    @Override
    public CompletableFuture<InferResponse> infer(InferRequest request) {
      calls.computeIfAbsent(request.modelName(), name -> new AtomicInteger()).incrementAndGet();
      return switch (request.modelName()) {
        case "broken" ->
            CompletableFuture.failedFuture(new InvalidInputException("x must be positive"));
        case "stuck" -> never;
        default -> {
          Tensor x =
              request.inputs().stream().filter(t -> t.name().equals("x")).findFirst().orElseThrow();
          double value = functions.get(request.modelName()).applyAsDouble(x.data().getFloat());
          yield CompletableFuture.completedFuture(
              new InferResponse(
                  request.modelName(), "1", request.id(), List.of(number("y", value))));
        }
      };
    }

    @Override
    public ModelMetadata metadata(String deployment) {
      if (!functions.containsKey(deployment) && !Set.of("broken", "stuck").contains(deployment)) {
        throw new ModelNotFoundException("no model " + deployment);
      }
      return new ModelMetadata(
          deployment,
          List.of("1"),
          "test",
          List.of(new TensorMetadata("x", DataType.FP32, new long[] {1})),
          List.of(new TensorMetadata("y", DataType.FP32, new long[] {1})));
    }
  }

  private static Tensor number(String name, double value) {
    return Tensor.of(
        name,
        DataType.FP32,
        new long[] {1},
        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) value).flip());
  }

  private static StepSpec call(String name, String deployment) {
    return new StepSpec(name, deployment, null, false, null, 1, false, null);
  }

  private static GraphSpec graph(RouterType type, StepSpec... steps) {
    return new GraphSpec("g", "/g", Map.of(GraphSpec.ROOT, new NodeSpec(type, List.of(steps))));
  }

  private InferResponse run(GraphSpec graph, double x) throws Exception {
    assertThat(graph.problems(Set.of("plus1", "double", "negate", "a", "b", "broken", "stuck")))
        .isEmpty();
    return runner
        .run(graph, new InferRequest("g", null, "id-1", Map.of(), List.of(number("x", x)), null))
        .get();
  }

  private static double value(InferResponse response, String name) {
    return response.outputs().stream()
        .filter(t -> t.name().equals(name))
        .findFirst()
        .orElseThrow()
        .data()
        .getFloat();
  }

  @Test
  void sequenceFeedsEachAnswerToTheNextStepUnlessAStepAsksForTheRequest() throws Exception {
    InferResponse chained =
        run(graph(RouterType.SEQUENCE, call("first", "plus1"), call("second", "double")), 3);
    assertThat(value(chained, "y")).isEqualTo(8); // (3 + 1) * 2: y renamed to the single input x
    assertThat(chained.modelName()).isEqualTo("g");

    InferResponse original =
        run(
            graph(
                RouterType.SEQUENCE,
                call("first", "plus1"),
                new StepSpec("second", "double", null, true, null, 1, false, null)),
            3);
    assertThat(value(original, "y")).isEqualTo(6);
  }

  @Test
  void switchTakesTheFirstStepWhoseConditionHoldsOrPassesTheRequestOn() throws Exception {
    GraphSpec graph =
        graph(
            RouterType.SWITCH,
            new StepSpec("big", "double", null, false, Condition.parse("x[0] > 5"), 1, false, null),
            new StepSpec("small", "negate", null, false, Condition.parse("x <= 5"), 1, false, null),
            new StepSpec("never", "plus1", null, false, Condition.parse("x > 0"), 1, false, null));
    assertThat(value(run(graph, 10), "y")).isEqualTo(20);
    assertThat(value(run(graph, 2), "y")).isEqualTo(-2);
    assertThat(calls).doesNotContainKey("plus1");

    GraphSpec none =
        graph(
            RouterType.SWITCH,
            new StepSpec(
                "tier",
                "double",
                null,
                false,
                Condition.parse("parameters.tier == \"gold\""),
                1,
                false,
                null));
    assertThat(value(run(none, 4), "x")).isEqualTo(4);
    InferResponse gold =
        runner
            .run(
                none,
                new InferRequest(
                    "g", null, null, Map.of("tier", "gold"), List.of(number("x", 4)), null))
            .get();
    assertThat(value(gold, "y")).isEqualTo(8);
  }

  @Test
  void ensembleRunsEveryStepAndMergesTheAnswersUnderTheirNames() throws Exception {
    InferResponse merged =
        run(graph(RouterType.ENSEMBLE, call("left", "double"), call("right", "negate")), 5);
    assertThat(merged.outputs()).extracting(Tensor::name).containsExactly("left.y", "right.y");
    assertThat(value(merged, "left.y")).isEqualTo(10);
    assertThat(value(merged, "right.y")).isEqualTo(-5);
  }

  @Test
  void splitterDrawsStepsInProportionToTheirWeights() throws Exception {
    GraphSpec graph =
        graph(
            RouterType.SPLITTER,
            new StepSpec("a", "a", null, false, null, 20, false, null),
            new StepSpec("b", "b", null, false, null, 80, false, null));
    int ones = 0;
    for (int i = 0; i < 1000; i++) {
      if (value(run(graph, 0), "y") == 1) {
        ones++;
      }
    }
    assertThat(ones).isBetween(150, 250); // 20% ± 5 points
    assertThat(calls.get("a").get() + calls.get("b").get()).isEqualTo(1000);
  }

  @Test
  void nestedNodesRunAsSteps() throws Exception {
    GraphSpec graph =
        new GraphSpec(
            "g",
            "/g",
            Map.of(
                GraphSpec.ROOT,
                new NodeSpec(
                    RouterType.SEQUENCE,
                    List.of(
                        call("first", "plus1"),
                        new StepSpec("inner", null, "both", false, null, 1, false, null))),
                "both",
                new NodeSpec(
                    RouterType.ENSEMBLE, List.of(call("d", "double"), call("n", "negate")))));
    InferResponse answer = run(graph, 1);
    assertThat(value(answer, "d.y")).isEqualTo(4);
    assertThat(value(answer, "n.y")).isEqualTo(-2);
  }

  @Test
  void aFailingStepIsNamedAndKeepsItsKindUnlessItIsSoft() throws Exception {
    assertThatThrownBy(
            () ->
                run(graph(RouterType.SEQUENCE, call("first", "plus1"), call("check", "broken")), 1))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(InvalidInputException.class)
        .hasMessage("step 'check' (deployment 'broken') failed: x must be positive");

    InferResponse skipped =
        run(
            graph(
                RouterType.SEQUENCE,
                call("first", "plus1"),
                new StepSpec("check", "broken", null, false, null, 1, true, null),
                call("last", "double")),
            1);
    assertThat(value(skipped, "y")).isEqualTo(4);
  }

  @Test
  void aStepThatNeverAnswersTimesOutNamedAndItsCallIsWithdrawn() {
    long started = System.nanoTime();
    assertThatThrownBy(
            () ->
                run(
                    graph(
                        RouterType.SEQUENCE,
                        call("first", "plus1"),
                        new StepSpec(
                            "hang", "stuck", null, false, null, 1, false, Duration.ofMillis(200))),
                    1))
        .cause()
        .isInstanceOf(RequestTimeoutException.class)
        .hasMessage("step 'hang' (deployment 'stuck') failed: did not answer within 200 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    assertThat(never).isCancelled();
  }

  @Test
  void problemsNameWhatIsWrong() {
    GraphSpec graph =
        new GraphSpec(
            "g",
            "/g",
            Map.of(
                "start",
                new NodeSpec(
                    RouterType.SWITCH,
                    List.of(
                        call("s", "nope"),
                        new StepSpec("loop", null, "start", false, null, 1, false, null)))));
    assertThat(graph.problems(Set.of("plus1")))
        .containsExactlyInAnyOrder(
            "nodes: a graph needs a node named 'root'",
            "nodes.start.steps[0].serviceName: no deployment is named 'nope'",
            "nodes.start.steps[0].condition: every step of a Switch node needs a condition",
            "nodes.start.steps[1].condition: every step of a Switch node needs a condition",
            "nodes.start: the node reaches itself through nodeName steps");
    assertThatThrownBy(() -> Condition.parse("x ~ 3")).isInstanceOf(IllegalArgumentException.class);
  }
}
