package io.sluice.engine;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatisticsSnapshot;
import io.sluice.engine.client.ModelStatus;
import io.sluice.engine.events.EventJournal;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.request.Admission;
import io.sluice.engine.request.InferenceCall;
import io.sluice.engine.request.InputValidator;
import io.sluice.engine.request.Retries;
import io.sluice.engine.request.Shadow;
import io.sluice.engine.request.Target;
import io.sluice.engine.revision.Revision;
import io.sluice.engine.routing.Router;
import io.sluice.engine.stats.GenerationListener;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.StreamingModel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's front: protocol adapters hand it protocol-neutral requests and get futures back. It
 * never runs model work on the caller's thread; every inference, load and unload runs on {@code
 * modelExecutor}.
 *
 * <p>An inference goes through the stages of {@code engine.request}, in order: {@link Target}
 * resolves the deployment and draws its revision (404), {@link Shadow} mirrors a share to a shadow,
 * {@link Retries} sends it (again to another replica when one could not run it), {@link Admission}
 * leases a replica or queues for one (503 when full) under the request timeout (504), and {@link
 * InferenceCall} validates it against the model's metadata (400), batches and runs it on the
 * executor and records its statistics. Generations and streams share the first and the admission,
 * then run on a generation thread. Failures complete the future with a {@link SluiceException}
 * naming the cause; anything else a runtime throws becomes an {@link InferenceFailedException}.
 */
public final class Engine implements EngineClient, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  /** How long closing waits, per revision, for requests still running after the server's drain. */
  private static final Duration CLOSE_PATIENCE = Duration.ofSeconds(10);

  private final ModelRegistry registry;
  private final ExecutorService modelExecutor;
  private final ScheduledExecutorService scheduler;

  /**
   * Text generations, which hold a thread for a whole stream; bounded by each router's ongoing
   * limit.
   */
  private final ExecutorService generationExecutor =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread thread = new Thread(runnable, "sluice-generate");
            thread.setDaemon(true);
            return thread;
          });

  private final EventJournal events;
  private final io.sluice.engine.residency.Residency residency;
  private volatile boolean closing;
  private volatile GenerationListener generations = GenerationListener.NONE;

  /**
   * The request path's stages: where a request goes, its lease and timeout, its model call, its
   * retries, its shadow.
   */
  private final Admission admission;

  private final Retries retries;
  private final Shadow shadow;

  /** An engine whose autoscalers and queue-expiry run once a second. */
  public Engine(ModelRegistry registry, ExecutorService modelExecutor) {
    this(registry, modelExecutor, Duration.ofSeconds(1));
  }

  /**
   * @param modelExecutor runs every inference, load and unload (never the caller's thread)
   * @param tick how often each deployment's autoscaler evaluates and expired queue waits are failed
   */
  public Engine(ModelRegistry registry, ExecutorService modelExecutor, Duration tick) {
    this(registry, modelExecutor, tick, new EventJournal());
  }

  /**
   * @param events the journal the deployments' revisions record to (their {@code
   *     RevisionContext}'s)
   */
  public Engine(
      ModelRegistry registry, ExecutorService modelExecutor, Duration tick, EventJournal events) {
    this(registry, modelExecutor, tick, events, null);
  }

  /**
   * @param residency who holds the host's memory and accelerators, ticked with the autoscalers to
   *     swap replicas fairly; null when nothing needs it
   */
  public Engine(
      ModelRegistry registry,
      ExecutorService modelExecutor,
      Duration tick,
      EventJournal events,
      io.sluice.engine.residency.Residency residency) {
    this.residency = residency;
    this.registry = registry;
    this.events = events;
    this.modelExecutor = modelExecutor;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "sluice-autoscaler");
              thread.setDaemon(true);
              return thread;
            });
    scheduler.scheduleAtFixedRate(this::tick, tick.toNanos(), tick.toNanos(), TimeUnit.NANOSECONDS);
    this.admission = new Admission(scheduler);
    this.retries =
        new Retries(admission, new InferenceCall(scheduler, modelExecutor), modelExecutor);
    this.shadow = new Shadow(registry, retries);
  }

  private void tick() {
    for (Deployment deployment : registry.all()) {
      try {
        deployment.tick();
      } catch (RuntimeException e) {
        log.warn("autoscaler tick failed for {}", deployment.name(), e);
      }
    }
    if (residency != null) {
      try {
        residency.tick();
      } catch (RuntimeException e) {
        log.warn("residency tick failed", e);
      }
    }
  }

  @Override
  public void keepAlive(String model, Duration keepAlive) {
    try {
      Target.resolve(registry, model, null, null)
          .deployment()
          .revisions()
          .forEach(revision -> revision.keepAlive(keepAlive));
    } catch (SluiceException e) {
      log.debug("keep_alive for {} ignored: {}", model, e.getMessage());
    }
  }

  public ModelRegistry registry() {
    return registry;
  }

  /** What the engine did lately: replicas, scaling, traffic, configuration. */
  public EventJournal events() {
    return events;
  }

  /** Runs inference graphs whose steps call this engine's deployments, with the engine's timers. */
  public io.sluice.engine.graph.GraphRunner graphRunner() {
    return new io.sluice.engine.graph.GraphRunner(
        new io.sluice.engine.graph.StepTarget() {
          @Override
          public CompletableFuture<InferResponse> infer(InferRequest request) {
            return Engine.this.infer(request);
          }

          @Override
          public ModelMetadata metadata(String deployment) {
            return Engine.this.metadata(deployment, null);
          }
        },
        scheduler);
  }

  /**
   * Runs an inference. The future fails with a {@link SluiceException} subclass naming the cause;
   * cancelling it (a client that went away) withdraws a queued request and skips one not yet
   * started.
   */
  @Override
  public CompletableFuture<InferResponse> infer(InferRequest request) {
    Target target;
    try {
      target =
          Target.resolve(registry, request.modelName(), request.modelVersion(), request.revision());
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    shadow.mirror(target.deployment(), request);
    return retries.dispatch(target, request);
  }

  /**
   * Generates text, handing each piece to {@code onText} as it is produced (on a generation
   * thread). The future completes with how the generation ended; cancelling it stops the generation
   * between tokens. Generations run on their own threads: a long stream never holds up other
   * models' inferences.
   */
  @Override
  public CompletableFuture<GenerateResult> generate(
      GenerateRequest request, Consumer<io.sluice.api.GeneratedText> onText) {
    long accepted = System.nanoTime();
    return onGenerationThread(
        "generation",
        request.model(),
        null,
        request.revision(),
        (deployment, revision, lease, result) ->
            runGeneration(deployment, revision, lease, request, onText, accepted, result));
  }

  /**
   * The tokens of a generate request's prompt or messages, as the model would see them (vLLM's
   * {@code /tokenize}); fails with invalid input when the model has no tokenizer to offer.
   */
  @Override
  public CompletableFuture<io.sluice.api.Tokenization> tokenize(
      GenerateRequest request, boolean addSpecial) {
    long accepted = System.nanoTime();
    return onGenerationThread(
        "tokenize",
        request.model(),
        null,
        request.revision(),
        (deployment, leased, lease, result) ->
            runLeased(
                deployment,
                lease,
                "tokenizing",
                accepted,
                result,
                model -> tokenizer(deployment, model).tokenize(request, addSpecial)));
  }

  /** The text of token ids under the model's tokenizer (vLLM's {@code /detokenize}). */
  @Override
  public CompletableFuture<String> detokenize(String model, String revision, int[] tokens) {
    long accepted = System.nanoTime();
    return onGenerationThread(
        "detokenize",
        model,
        null,
        revision,
        (deployment, leased, lease, result) ->
            runLeased(
                deployment,
                lease,
                "detokenizing",
                accepted,
                result,
                loaded -> tokenizer(deployment, loaded).detokenize(tokens)));
  }

  private static io.sluice.spi.TokenizingModel tokenizer(Deployment deployment, LoadedModel model) {
    if (!(model instanceof io.sluice.spi.TokenizingModel tokenizing)) {
      throw new InvalidInputException(
          "model '" + deployment.name() + "' has no tokenizer to offer");
    }
    return tokenizing;
  }

  /** Work that holds a thread for a whole stream, on the revision the request selects. */
  @FunctionalInterface
  private interface StreamWork<T> {
    void run(
        Deployment deployment, Revision revision, Router.Lease lease, CompletableFuture<T> result);
  }

  private <T> CompletableFuture<T> onGenerationThread(
      String operation, String model, String version, String revision, StreamWork<T> work) {
    Target target;
    try {
      target = Target.resolve(registry, model, version, revision);
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return admission.admit(
        operation,
        target,
        generationExecutor,
        (leasedRevision, lease, result) ->
            work.run(target.deployment(), leasedRevision, lease, result));
  }

  /**
   * Records spans with {@code telemetry}: each request's wait for a replica ({@code queue}) and its
   * model work ({@code inference}, {@code generation}, ...), children of the span current when it
   * was submitted.
   */
  public void traceWith(OpenTelemetry telemetry) {
    admission.traceWith(telemetry);
  }

  /**
   * The tracer protocol adapters record their own stages with (decode, encode); no-op unless
   * tracing is on.
   */
  @Override
  public Tracer tracer() {
    return admission.tracer();
  }

  /**
   * Hears every generation's timing and token counts (LLM metrics); replaces the previous listener.
   */
  public void listenToGenerations(GenerationListener listener) {
    this.generations = listener == null ? GenerationListener.NONE : listener;
  }

  private void runGeneration(
      Deployment deployment,
      Revision revision,
      Router.Lease lease,
      GenerateRequest request,
      Consumer<io.sluice.api.GeneratedText> onText,
      long accepted,
      CompletableFuture<GenerateResult> result) {
    GenerationListener listener = generations;
    String number = Integer.toString(revision.number());
    long started = System.nanoTime();
    long[] last = {-1};
    Consumer<io.sluice.api.GeneratedText> timed =
        piece -> {
          long now = System.nanoTime();
          if (last[0] < 0) {
            listener.firstPiece(deployment.name(), number, now - accepted);
          } else {
            listener.nextPiece(deployment.name(), number, now - last[0]);
          }
          last[0] = now;
          onText.accept(piece);
        };
    runLeased(
        deployment,
        lease,
        "generating",
        accepted,
        result,
        model -> {
          if (!(model instanceof GenerativeModel generative)) {
            throw new InvalidInputException(
                "model '" + deployment.name() + "' does not generate text");
          }
          GenerateResult outcome = generative.generate(request, timed, result::isDone);
          listener.finished(
              deployment.name(), number, outcome, started - accepted, System.nanoTime() - accepted);
          return outcome;
        });
  }

  /**
   * Runs an inference whose outputs may arrive in pieces ({@link StreamingModel}, such as speech
   * spoken sentence by sentence), handing each chunk to {@code onChunk} as it exists (on a
   * streaming thread). A model that cannot stream answers in one chunk. Cancelling the future stops
   * the model between chunks.
   */
  @Override
  public CompletableFuture<Void> inferStream(InferRequest request, Consumer<List<Tensor>> onChunk) {
    long accepted = System.nanoTime();
    return onGenerationThread(
        "inference stream",
        request.modelName(),
        request.modelVersion(),
        request.revision(),
        (deployment, leased, lease, result) ->
            runStream(deployment, lease, request, onChunk, accepted, result));
  }

  private static void runStream(
      Deployment deployment,
      Router.Lease lease,
      InferRequest request,
      Consumer<List<Tensor>> onChunk,
      long accepted,
      CompletableFuture<Void> result) {
    runLeased(
        deployment,
        lease,
        "streaming request " + request.id(),
        accepted,
        result,
        model -> {
          InputValidator.validateInputs(model.metadata(), request.inputs());
          List<String> outputNames =
              InputValidator.outputNames(model.metadata(), request.requestedOutputs());
          if (model instanceof StreamingModel streaming) {
            streaming.inferStream(request.inputs(), outputNames, onChunk, result::isDone);
          } else {
            onChunk.accept(model.infer(request.inputs(), outputNames));
          }
          return null;
        });
  }

  /**
   * A long-running call on the leased replica's model (a generation, a stream), with its statistics
   * and one error per cause; it stops early once {@code result} is done (timed out or cancelled).
   */
  private static <T> void runLeased(
      Deployment deployment,
      Router.Lease lease,
      String doing,
      long accepted,
      CompletableFuture<T> result,
      java.util.function.Function<LoadedModel, T> work) {
    long started = System.nanoTime();
    try (lease) {
      T outcome = work.apply(InferenceCall.loadedModel(lease, deployment));
      long done = System.nanoTime();
      deployment.statistics().recordExecution(1);
      deployment
          .statistics()
          .recordSuccess(started - accepted, 0, done - started, 0, done - accepted);
      result.complete(outcome);
    } catch (SluiceException e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      result.completeExceptionally(e);
    } catch (RuntimeException | Error e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      log.warn("model {} failed while {}", deployment.name(), doing, e);
      result.completeExceptionally(
          new InferenceFailedException(
              "model '"
                  + deployment.name()
                  + "' failed: "
                  + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
              e));
    }
  }

  /**
   * Explains one instance's prediction ({@link io.sluice.engine.explain.Explainer}) with the
   * deployment's explainer settings, overridden by the request's parameters within the deployment's
   * bound: the model is called on perturbed copies of the instance, as ordinary requests.
   */
  @Override
  public CompletableFuture<io.sluice.engine.client.Explanation> explain(
      InferRequest request, Map<String, Object> parameters) {
    try {
      io.sluice.engine.explain.ExplainSpec spec =
          registry
              .resolve(request.modelName(), request.modelVersion())
              .latest()
              .spec()
              .explainer()
              .with(parameters);
      return io.sluice.engine.explain.Explainer.explain(request, spec, this::infer);
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The model's metadata; fails with not-found or not-ready. */
  @Override
  public ModelMetadata metadata(String name, String version) {
    return registry.resolve(name, version).metadata(version);
  }

  /**
   * Whether the model is ready; throws {@link io.sluice.api.ModelNotFoundException} when unknown.
   */
  @Override
  public boolean isModelReady(String name, String version) {
    return registry.resolve(name, version).state() == ModelState.READY;
  }

  /** Live: the engine is up and not shutting down. */
  @Override
  public boolean isLive() {
    return !closing;
  }

  /** Ready: live, and every model that should be loaded is ready. */
  @Override
  public boolean isReady() {
    if (closing) {
      return false;
    }
    for (Deployment deployment : registry.all()) {
      if (deployment.wanted() && deployment.state() != ModelState.READY) {
        return false;
      }
    }
    return true;
  }

  @Override
  public List<ModelStatus> index() {
    return registry.index();
  }

  @Override
  public String nameOf(String application, String model) {
    return registry.nameOf(application, model);
  }

  @Override
  public ModelStatisticsSnapshot statistics(String model, String version) {
    Deployment deployment = registry.resolve(model, version);
    return deployment.statistics().snapshot(deployment.name(), deployment.version());
  }

  /** Loads a known model on the executor; the future fails with the load error's message. */
  @Override
  public CompletableFuture<Void> load(String name) {
    Deployment deployment;
    try {
      deployment = registry.resolve(name, null);
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.runAsync(
        () -> {
          try {
            deployment.load();
          } catch (ModelLoadException e) {
            throw new CompletionException(
                new InferenceFailedException(
                    "failed to load model '" + name + "': " + e.getMessage(), e));
          }
        },
        modelExecutor);
  }

  /** Unloads a known model once its in-flight requests have finished. */
  @Override
  public CompletableFuture<Void> unload(String name) {
    Deployment deployment;
    try {
      deployment = registry.resolve(name, null);
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.runAsync(deployment::unload, modelExecutor);
  }

  /**
   * Loads every deployment in order, blocking; the first failure is thrown with the model's name.
   */
  public void loadAll() throws ModelLoadException {
    for (Deployment deployment : registry.all()) {
      deployment.load();
    }
  }

  /** Stops taking requests, drains every model, closes them, then stops the executor. */
  @Override
  public void close() {
    close(CLOSE_PATIENCE);
  }

  /**
   * Stops every deployment, waiting at most {@code patience} per revision for the requests still in
   * flight (the HTTP drain has waited before this): a model call that never returns cannot keep the
   * server from stopping.
   */
  public void close(Duration patience) {
    closing = true;
    scheduler.shutdownNow();
    generationExecutor.shutdown();
    for (Deployment deployment : registry.all()) {
      deployment.unload(patience);
    }
    modelExecutor.shutdown();
    try {
      if (!modelExecutor.awaitTermination(patience.toMillis(), TimeUnit.MILLISECONDS)) {
        modelExecutor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
