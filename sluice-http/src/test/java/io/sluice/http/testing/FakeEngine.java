package io.sluice.http.testing;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.Tensor;
import io.sluice.api.Tokenization;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.Explanation;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatisticsSnapshot;
import io.sluice.engine.client.ModelStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An engine for protocol tests: the models and answers a test gives it, and every request it was
 * handed, so that a protocol module is tested alone, without a runtime, a registry or a server.
 */
public final class FakeEngine implements EngineClient {
  private final Map<String, ModelStatus> models = new LinkedHashMap<>();
  private final Map<String, ModelMetadata> metadata = new LinkedHashMap<>();
  public final List<InferRequest> inferred = new CopyOnWriteArrayList<>();
  public final List<GenerateRequest> generated = new CopyOnWriteArrayList<>();
  private volatile Function<InferRequest, CompletableFuture<InferResponse>> infer =
      request ->
          CompletableFuture.failedFuture(new InvalidInputException("no inference configured"));
  private volatile BiFunction<
          GenerateRequest, Consumer<GeneratedText>, CompletableFuture<GenerateResult>>
      generate =
          (request, onText) ->
              CompletableFuture.failedFuture(new InvalidInputException("no generation configured"));

  /** Adds a model of {@code application} in {@code state}. */
  public FakeEngine model(
      String application, String name, ModelState state, ModelMetadata described) {
    models.put(
        name,
        new ModelStatus(application, name, "1", state, state == ModelState.FAILED ? "broken" : ""));
    if (described != null) {
      metadata.put(name, described);
    }
    return this;
  }

  public FakeEngine onInfer(Function<InferRequest, CompletableFuture<InferResponse>> answer) {
    this.infer = answer;
    return this;
  }

  public FakeEngine onGenerate(
      BiFunction<GenerateRequest, Consumer<GeneratedText>, CompletableFuture<GenerateResult>>
          answer) {
    this.generate = answer;
    return this;
  }

  private ModelStatus known(String model) {
    ModelStatus status = models.get(model);
    if (status == null) {
      throw new ModelNotFoundException("model '" + model + "' is not served here");
    }
    return status;
  }

  @Override
  public CompletableFuture<InferResponse> infer(InferRequest request) {
    inferred.add(request);
    try {
      known(request.modelName());
    } catch (ModelNotFoundException e) {
      return CompletableFuture.failedFuture(e);
    }
    return infer.apply(request);
  }

  @Override
  public CompletableFuture<Void> inferStream(InferRequest request, Consumer<List<Tensor>> onChunk) {
    return infer(request).thenAccept(response -> onChunk.accept(response.outputs()));
  }

  @Override
  public CompletableFuture<GenerateResult> generate(
      GenerateRequest request, Consumer<GeneratedText> onText) {
    generated.add(request);
    try {
      known(request.model());
    } catch (ModelNotFoundException e) {
      return CompletableFuture.failedFuture(e);
    }
    return generate.apply(request, onText);
  }

  @Override
  public CompletableFuture<Tokenization> tokenize(GenerateRequest request, boolean addSpecial) {
    return CompletableFuture.failedFuture(new InvalidInputException("no tokenizer"));
  }

  @Override
  public CompletableFuture<String> detokenize(String model, String revision, int[] tokens) {
    return CompletableFuture.failedFuture(new InvalidInputException("no tokenizer"));
  }

  @Override
  public CompletableFuture<Explanation> explain(
      InferRequest request, Map<String, Object> parameters) {
    return CompletableFuture.failedFuture(new InvalidInputException("no explainer"));
  }

  @Override
  public ModelMetadata metadata(String model, String version) {
    known(model);
    ModelMetadata described = metadata.get(model);
    if (described == null) {
      throw new InvalidInputException("no metadata for '" + model + "'");
    }
    return described;
  }

  @Override
  public boolean isModelReady(String model, String version) {
    return known(model).state() == ModelState.READY;
  }

  @Override
  public boolean isLive() {
    return true;
  }

  @Override
  public boolean isReady() {
    return models.values().stream().allMatch(status -> status.state() == ModelState.READY);
  }

  @Override
  public List<ModelStatus> index() {
    return new ArrayList<>(models.values());
  }

  @Override
  public String nameOf(String application, String model) {
    ModelStatus status = known(model);
    if (application != null && !status.application().equals(application)) {
      throw new ModelNotFoundException(
          "model '" + model + "' is not part of application '" + application + "'");
    }
    return model;
  }

  @Override
  public ModelStatisticsSnapshot statistics(String model, String version) {
    ModelStatus status = known(model);
    var none = ModelStatisticsSnapshot.Timing.NONE;
    return new ModelStatisticsSnapshot(
        status.name(), status.version(), 0, 0, 0, none, none, none, none, none, none);
  }

  @Override
  public CompletableFuture<Void> load(String model) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> unload(String model) {
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public Tracer tracer() {
    return TracerProvider.noop().get("test");
  }
}
