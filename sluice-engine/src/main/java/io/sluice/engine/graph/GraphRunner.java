package io.sluice.engine.graph;

import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.ModelMetadata;
import io.sluice.api.RequestTimeoutException;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs inference graphs. Data flows between steps as tensors: a step's answer becomes the next
 * step's inputs, matched by name; when none match and the deployment takes a single input, the
 * single tensor is renamed to it. Every step is bounded by its timeout, and a failure names the
 * step (and, through nested nodes, the path to it) while keeping the cause's kind, so clients get
 * the cause's status.
 */
public final class GraphRunner {
  private final StepTarget target;
  private final ScheduledExecutorService timer;

  public GraphRunner(StepTarget target, ScheduledExecutorService timer) {
    this.target = target;
    this.timer = timer;
  }

  /**
   * Runs the graph on a request; the answer is named after the graph. Cancelling the answer (a
   * client that went away) cancels every deployment call still running, which withdraws queued
   * requests.
   */
  public CompletableFuture<InferResponse> run(GraphSpec graph, InferRequest request) {
    List<CompletableFuture<?>> calls = new ArrayList<>();
    CompletableFuture<InferResponse> answer =
        node(new Run(graph, calls), graph.root(), request)
            .thenApply(
                result -> new InferResponse(graph.name(), null, request.id(), result.inputs()));
    answer.whenComplete(
        (response, error) -> {
          if (error != null) {
            synchronized (calls) {
              calls.forEach(call -> call.cancel(false));
            }
          }
        });
    return answer;
  }

  /**
   * One run of a graph: its spec, and the deployment calls it made, to cancel when the run ends
   * early.
   */
  private record Run(GraphSpec graph, List<CompletableFuture<?>> calls) {
    NodeSpec node(String name) {
      return graph.nodes().get(name);
    }

    <T> CompletableFuture<T> track(CompletableFuture<T> call) {
      synchronized (calls) {
        calls.add(call);
      }
      return call;
    }
  }

  private CompletableFuture<InferRequest> node(Run run, NodeSpec node, InferRequest data) {
    return switch (node.routerType()) {
      case SEQUENCE -> sequence(run, node, data);
      case SWITCH -> {
        for (StepSpec step : node.steps()) {
          if (step.condition().test(data)) {
            yield step(run, step, data);
          }
        }
        yield CompletableFuture.completedFuture(data);
      }
      case ENSEMBLE -> ensemble(run, node, data);
      case SPLITTER -> step(run, draw(node.steps()), data);
    };
  }

  private CompletableFuture<InferRequest> sequence(Run run, NodeSpec node, InferRequest data) {
    CompletableFuture<InferRequest> current = CompletableFuture.completedFuture(data);
    for (int i = 0; i < node.steps().size(); i++) {
      StepSpec step = node.steps().get(i);
      boolean fromRequest = i == 0 || step.fromRequest();
      current = current.thenCompose(previous -> step(run, step, fromRequest ? data : previous));
    }
    return current;
  }

  private CompletableFuture<InferRequest> ensemble(Run run, NodeSpec node, InferRequest data) {
    List<CompletableFuture<InferRequest>> answers =
        node.steps().stream().map(step -> step(run, step, data)).toList();
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              List<Tensor> merged = new ArrayList<>();
              for (int i = 0; i < answers.size(); i++) {
                String prefix = node.steps().get(i).name() + ".";
                answers
                    .get(i)
                    .join()
                    .inputs()
                    .forEach(tensor -> merged.add(tensor.withName(prefix + tensor.name())));
              }
              return carrying(data, merged);
            });
  }

  private static StepSpec draw(List<StepSpec> steps) {
    double total = steps.stream().mapToDouble(StepSpec::weight).sum();
    double point = ThreadLocalRandom.current().nextDouble(total);
    for (StepSpec step : steps) {
      point -= step.weight();
      if (point < 0) {
        return step;
      }
    }
    return steps.getLast();
  }

  /** One step, bounded by its timeout; a soft step's failure passes its input on. */
  private CompletableFuture<InferRequest> step(Run run, StepSpec step, InferRequest data) {
    CompletableFuture<InferRequest> call;
    try {
      call =
          step.node() != null
              ? node(run, run.node(step.node()), data)
              : deployment(run, step, data);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<InferRequest> bounded = new CompletableFuture<>();
    CompletableFuture<InferRequest> running = call;
    ScheduledFuture<?> timeout =
        timer.schedule(
            () -> {
              if (bounded.completeExceptionally(
                  new RequestTimeoutException(
                      "did not answer within " + step.timeout().toMillis() + " ms"))) {
                running.cancel(false); // withdraws a queued request
              }
            },
            step.timeout().toNanos(),
            TimeUnit.NANOSECONDS);
    running.whenComplete(
        (answer, error) -> {
          timeout.cancel(false);
          if (error == null) {
            bounded.complete(answer);
          } else {
            bounded.completeExceptionally(error);
          }
        });
    return bounded.exceptionallyCompose(
        error ->
            step.soft()
                ? CompletableFuture.completedFuture(data)
                : CompletableFuture.failedFuture(StepFailures.naming(step, error)));
  }

  private CompletableFuture<InferRequest> deployment(Run run, StepSpec step, InferRequest data) {
    InferRequest request =
        new InferRequest(
            step.deployment(),
            null,
            data.id(),
            data.parameters(),
            inputsFor(step.deployment(), data.inputs()),
            null);
    CompletableFuture<InferResponse> call = run.track(target.infer(request));
    CompletableFuture<InferRequest> answer =
        call.thenApply(response -> carrying(data, response.outputs()));
    answer.whenComplete(
        (result, error) -> {
          if (error != null) {
            call.cancel(false); // timed out or cancelled: withdraw the request
          }
        });
    return answer;
  }

  private List<Tensor> inputsFor(String deployment, List<Tensor> tensors) {
    ModelMetadata metadata;
    try {
      metadata = target.metadata(deployment);
    } catch (SluiceException e) {
      return tensors; // not loaded yet (scale-to-zero): the engine loads it and checks the inputs
    }
    List<String> names = metadata.inputs().stream().map(TensorMetadata::name).toList();
    List<Tensor> matching =
        tensors.stream().filter(tensor -> names.contains(tensor.name())).toList();
    if (!matching.isEmpty()) {
      return matching;
    }
    if (names.size() == 1 && tensors.size() == 1) {
      return List.of(tensors.getFirst().withName(names.getFirst()));
    }
    return tensors;
  }

  private static InferRequest carrying(InferRequest data, List<Tensor> tensors) {
    return new InferRequest(data.modelName(), null, data.id(), data.parameters(), tensors, null);
  }
}
