package io.sluice.engine.client;

import io.opentelemetry.api.trace.Tracer;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.Tokenization;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * What a protocol adapter or a pipeline may ask of the engine: run a model, read what is served,
 * load and unload. Everything else (registry, deployments, replicas, scaling) is the engine's own
 * business; the server's admin API and the operator see more, protocols never do.
 *
 * <p>Futures fail with a {@link io.sluice.api.SluiceException} subclass naming the cause;
 * cancelling one (a client that went away) withdraws a queued request and stops a running stream
 * between pieces.
 */
public interface EngineClient {

  CompletableFuture<InferResponse> infer(InferRequest request);

  /**
   * An inference whose outputs may arrive in pieces (speech spoken sentence by sentence), each
   * handed to {@code onChunk} as it exists; a model that cannot stream answers in one chunk.
   */
  CompletableFuture<Void> inferStream(InferRequest request, Consumer<List<Tensor>> onChunk);

  /** Text generation, each piece handed to {@code onText} as it is produced. */
  CompletableFuture<GenerateResult> generate(
      GenerateRequest request, Consumer<GeneratedText> onText);

  /** The tokens of a generate request's prompt or messages, as the model would see them. */
  CompletableFuture<Tokenization> tokenize(GenerateRequest request, boolean addSpecial);

  /** The text of token ids under the model's tokenizer. */
  CompletableFuture<String> detokenize(String model, String revision, int[] tokens);

  /** Feature attributions of one instance's prediction, within the deployment's explainer bound. */
  CompletableFuture<Explanation> explain(InferRequest request, Map<String, Object> parameters);

  /** The model's metadata; throws not-found or not-ready. */
  ModelMetadata metadata(String model, String version);

  /** Whether the model is ready; throws not-found when it is unknown. */
  boolean isModelReady(String model, String version);

  /** The engine is up and not shutting down. */
  boolean isLive();

  /** Live, and every model that should be loaded is ready. */
  boolean isReady();

  /** Every deployment's state, in configuration order (the repository index). */
  List<ModelStatus> index();

  /**
   * The deployment a client's model name addresses among those of {@code application} (all when
   * null): the deployment of that name, else the one served under it; throws not-found when none
   * is, or when several applications serve that name.
   */
  String nameOf(String application, String model);

  /**
   * Cumulative statistics of a model since the server started; throws not-found when it is unknown.
   */
  ModelStatisticsSnapshot statistics(String model, String version);

  /** Loads a known model; the future fails with the load error's message. */
  CompletableFuture<Void> load(String model);

  /** Unloads a known model once its requests in flight have finished. */
  CompletableFuture<Void> unload(String model);

  /**
   * Ollama's {@code keep_alive} after a request: the model's idle replicas stay loaded this long,
   * then unload (zero: as soon as they are idle; negative: while nothing else needs the room). An
   * unknown model is ignored (its request has already failed).
   */
  default void keepAlive(String model, java.time.Duration keepAlive) {}

  /** The tracer protocol adapters record their own stages with; no-op unless tracing is on. */
  Tracer tracer();
}
