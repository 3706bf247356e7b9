package io.sluice.engine;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.sluice.engine.tracing.RequestSpans;
import io.sluice.engine.events.EventJournal;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.RequestTimeoutException;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.api.ReplicaUnavailableException;
import io.sluice.engine.batching.Batcher;
import io.sluice.engine.batching.BatchingSpec;
import io.sluice.engine.model.Deployment;
import io.sluice.engine.model.ModelRegistry;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatisticsSnapshot;
import java.util.Optional;
import io.sluice.engine.client.ModelStatus;
import io.sluice.engine.model.TrafficSpec;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.revision.Revision;
import io.sluice.engine.routing.Router;
import io.sluice.engine.stats.GenerationListener;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.StreamingModel;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's front: protocol adapters hand it protocol-neutral requests and get futures back. It never
 * runs model work on the caller's thread; every inference, load and unload runs on {@code modelExecutor}.
 *
 * <p>An inference goes through these stages in order: resolve the deployment (404 when unknown), lease
 * its ready model (503 when not ready), validate inputs and outputs against its metadata (400), run it on
 * the executor, keep the requested outputs. Failures complete the future with a {@link SluiceException}
 * naming the cause; anything else a runtime throws becomes an {@link InferenceFailedException}.
 */
public final class Engine implements EngineClient, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  private static final int MAX_ATTEMPTS = 3;
  /** How long closing waits, per revision, for requests still running after the server's drain. */
  private static final Duration CLOSE_PATIENCE = Duration.ofSeconds(10);

  private final ModelRegistry registry;
  private final ExecutorService modelExecutor;
  private final ScheduledExecutorService scheduler;
  /** Text generations, which hold a thread for a whole stream; bounded by each router's ongoing limit. */
  private final ExecutorService generationExecutor = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "sluice-generate");
    thread.setDaemon(true);
    return thread;
  });
  /** Batchers by replica; weak keys let stopped replicas' batchers go with them. */
  private final Map<Replica, Batcher> batchers = Collections.synchronizedMap(new WeakHashMap<>());
  private final EventJournal events;
  private volatile boolean closing;
  private volatile GenerationListener generations = GenerationListener.NONE;
  private volatile Tracer tracer = OpenTelemetry.noop().getTracer(RequestSpans.INSTRUMENTATION);
  private volatile boolean tracing;

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

  /** @param events the journal the deployments' revisions record to (their {@code RevisionContext}'s) */
  public Engine(ModelRegistry registry, ExecutorService modelExecutor, Duration tick, EventJournal events) {
    this.registry = registry;
    this.events = events;
    this.modelExecutor = modelExecutor;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "sluice-autoscaler");
      thread.setDaemon(true);
      return thread;
    });
    scheduler.scheduleAtFixedRate(this::tick, tick.toNanos(), tick.toNanos(), TimeUnit.NANOSECONDS);
  }

  private void tick() {
    for (Deployment deployment : registry.all()) {
      try {
        deployment.tick();
      } catch (RuntimeException e) {
        log.warn("autoscaler tick failed for {}", deployment.name(), e);
      }
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
    return new io.sluice.engine.graph.GraphRunner(new io.sluice.engine.graph.StepTarget() {
      @Override
      public CompletableFuture<InferResponse> infer(InferRequest request) {
        return Engine.this.infer(request);
      }

      @Override
      public ModelMetadata metadata(String deployment) {
        return Engine.this.metadata(deployment, null);
      }
    }, scheduler);
  }

  /**
   * Runs an inference. The future fails with a {@link SluiceException} subclass naming the cause;
   * cancelling it (a client that went away) withdraws a queued request and skips one not yet started.
   */
  @Override
  public CompletableFuture<InferResponse> infer(InferRequest request) {
    Deployment deployment;
    Revision revision;
    try {
      deployment = registry.resolve(request.modelName(), request.modelVersion());
      revision = deployment.select(request.revision(), request.modelVersion());
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    mirror(deployment, request);
    Supplier<Revision> reselect = request.revision() == null
        ? () -> deployment.select(null, request.modelVersion()) : null;
    return dispatch(deployment, revision, reselect, request);
  }

  /** Sends a copy of the request to the deployment's shadow, if it has one and the draw says so. */
  private void mirror(Deployment deployment, InferRequest request) {
    TrafficSpec.ShadowSpec shadow = deployment.traffic().shadow();
    if (shadow == null || ThreadLocalRandom.current().nextDouble(100) >= shadow.percent()) {
      return;
    }
    try {
      Deployment target = shadow.deployment() == null ? deployment : registry.resolve(shadow.deployment(), null);
      Revision revision = shadow.deployment() == null ? deployment.latest() : target.select(null, null);
      InferRequest copy = new InferRequest(target.name(), null, request.id(), request.parameters(), request.inputs(),
          request.requestedOutputs());
      dispatch(target, revision, null, copy).whenComplete((ignored, error) -> {}); // answers discarded, metrics kept
    } catch (SluiceException e) {
      log.debug("shadow of {} skipped: {}", deployment.name(), e.getMessage());
    }
  }

  private CompletableFuture<InferResponse> dispatch(Deployment deployment, Revision revision, Supplier<Revision> reselect,
      InferRequest request) {
    CompletableFuture<InferResponse> result = new CompletableFuture<>();
    attempt(deployment, revision, reselect, request, 1, result, Context.current());
    return result;
  }

  /**
   * One try of an inference. A replica that could not run it (its server unreachable, its worker gone) sends it to
   * another replica (the unreachable one stops taking requests), up to {@link #MAX_ATTEMPTS} tries in all.
   */
  private void attempt(Deployment deployment, Revision revision, Supplier<Revision> reselect, InferRequest request,
      int number, CompletableFuture<InferResponse> result, Context trace) {
    long accepted = System.nanoTime();
    CompletableFuture<InferResponse> tried;
    try (Scope scope = trace.makeCurrent()) { // a retry runs on another thread: its spans stay in the request's trace
      tried = leased("inference", deployment, revision, reselect, modelExecutor,
          (leasedRevision, lease, answer) -> run(deployment, leasedRevision, lease, request, accepted, answer));
    }
    result.whenComplete((response, error) -> tried.cancel(false));
    tried.whenComplete((response, error) -> {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      if (cause instanceof ReplicaUnavailableException && number < MAX_ATTEMPTS && !result.isDone()) {
        log.info("request {} to {}: {}; trying another replica", request.id(), deployment.name(), cause.getMessage());
        Revision again = reselect == null ? revision : currentRevision(reselect);
        attempt(deployment, again == null ? revision : again, reselect, request, number + 1, result, trace);
      } else if (cause != null) {
        result.completeExceptionally(cause);
      } else {
        result.complete(response);
      }
    });
  }

  /** What runs once a request holds a replica of {@code revision}: it must close the lease and complete the result. */
  @FunctionalInterface
  private interface LeasedWork<T> {
    void run(Revision revision, Router.Lease lease, CompletableFuture<T> result);
  }

  /**
   * The stages every request goes through before and around its model work: a lease from the revision's
   * router (immediately, after a queue wait, or a failure), the work on {@code executor}, the revision's
   * request timeout, and giving up the queue place when the result ends early (timeout, cancellation).
   * A revision retired between selection and lease (a promote, a blue-green switch) refuses the lease; the
   * request then goes once to what {@code reselect} picks now (null: no second try, as for pinned requests).
   */
  private <T> CompletableFuture<T> leased(String operation, Deployment deployment, Revision revision,
      Supplier<Revision> reselect, ExecutorService executor, LeasedWork<T> work) {
    CompletableFuture<T> result = new CompletableFuture<>();
    AtomicReference<CompletableFuture<Router.Lease>> pending = new AtomicReference<>();
    LeasedWork<T> leasedWork = work;
    if (tracing) { // untraced, requests skip the spans' bookkeeping altogether
      RequestSpans spans = RequestSpans.queued(tracer, operation, deployment.name());
      result.whenComplete((answer, error) -> spans.ended(error));
      leasedWork = (leasedRevision, lease, answer) -> {
        try (Scope scope = spans.working(leasedRevision.number(), lease.replica().id())) {
          work.run(leasedRevision, lease, answer);
        }
      };
    }
    acquire(revision, reselect, executor, leasedWork, result, pending);
    Duration timeout = revision.spec().scaling().requestTimeout();
    if (timeout != null && !result.isDone()) {
      ScheduledFuture<?> timer = scheduler.schedule(() -> result.completeExceptionally(new RequestTimeoutException(
          "model '" + deployment.name() + "' did not answer within " + timeout.toMillis() + " ms")),
          timeout.toNanos(), TimeUnit.NANOSECONDS);
      result.whenComplete((response, error) -> timer.cancel(false));
    }
    result.whenComplete((response, error) -> {
      CompletableFuture<Router.Lease> lease = pending.get();
      if (error != null && !lease.isDone()) {
        lease.cancel(false);
      }
    });
    return result;
  }

  private <T> void acquire(Revision revision, Supplier<Revision> reselect, ExecutorService executor, LeasedWork<T> work,
      CompletableFuture<T> result, AtomicReference<CompletableFuture<Router.Lease>> pending) {
    CompletableFuture<Router.Lease> lease = revision.acquire();
    pending.set(lease);
    if (result.isDone()) {
      lease.cancel(false); // ended (timed out, cancelled) while moving to another revision
    }
    lease.whenComplete((granted, error) -> {
      if (error != null) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        Revision current = cause instanceof ModelNotReadyException && reselect != null ? currentRevision(reselect) : null;
        if (current != null && current != revision && !result.isDone()) {
          acquire(current, null, executor, work, result, pending);
        } else {
          result.completeExceptionally(cause);
        }
        return;
      }
      if (result.isDone()) {
        granted.close();
        return;
      }
      try {
        executor.execute(() -> work.run(revision, granted, result));
      } catch (RejectedExecutionException e) {
        granted.close();
        result.completeExceptionally(new ModelNotReadyException("server is shutting down"));
      }
    });
  }

  /** The revision a new request would get now, or null when there is none. */
  private static Revision currentRevision(Supplier<Revision> reselect) {
    try {
      return reselect.get();
    } catch (SluiceException e) {
      return null;
    }
  }

  private void run(
      Deployment deployment, Revision revision, Router.Lease lease, InferRequest request, long accepted,
      CompletableFuture<InferResponse> result) {
    long started = System.nanoTime();
    boolean handedOff = false;
    try {
      if (result.isDone()) {
        return; // timed out or cancelled while queued
      }
      LoadedModel model = loadedModel(lease, deployment);
      ModelMetadata metadata = model.metadata();
      InputValidator.validateInputs(metadata, request.inputs());
      List<String> outputNames = InputValidator.outputNames(metadata, request.requestedOutputs());
      long inferStart = System.nanoTime();
      Batcher batcher = batcher(deployment, revision, lease.replica());
      handedOff = true;
      if (batcher != null) {
        batcher.submit(request.inputs(), outputNames).whenComplete((outputs, error) ->
            finish(deployment, revision, lease, request, accepted, started, inferStart, outputs, error, result));
        return;
      }
      List<Tensor> outputs = null;
      Throwable error = null;
      try {
        outputs = model.infer(request.inputs(), outputNames);
        deployment.statistics().recordExecution(1);
      } catch (RuntimeException | Error e) {
        error = e;
      }
      finish(deployment, revision, lease, request, accepted, started, inferStart, outputs, error, result);
    } catch (SluiceException e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      result.completeExceptionally(e);
    } finally {
      if (!handedOff) {
        lease.close();
      }
    }
  }

  /** The leased replica's model; 503 while its worker died and it restarts, so the replica has none. */
  private static LoadedModel loadedModel(Router.Lease lease, Deployment deployment) {
    LoadedModel model = lease.replica().model();
    if (model == null) {
      throw new ReplicaUnavailableException("replica " + lease.replica().id() + " of '" + deployment.name()
          + "' lost its model (its worker died, or its server went away) and is restarting", null);
    }
    return model;
  }

  /** Completes a request whose model call has returned; frees its replica slot. */
  private static void finish(Deployment deployment, Revision revision, Router.Lease lease, InferRequest request, long accepted,
      long started, long inferStart, List<Tensor> outputs, Throwable error, CompletableFuture<InferResponse> result) {
    try (lease) {
      long inferEnd = System.nanoTime();
      if (error instanceof ReplicaUnavailableException unavailable) {
        lease.replica().unreachable(unavailable.getMessage());
      }
      if (error instanceof SluiceException known) {
        deployment.statistics().recordFailure(inferEnd - accepted);
        result.completeExceptionally(known);
      } else if (error != null) {
        deployment.statistics().recordFailure(inferEnd - accepted);
        log.warn("model {} failed on request {}", deployment.name(), request.id(), error);
        result.completeExceptionally(new InferenceFailedException("model '" + deployment.name() + "' failed: "
            + (error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage()), error));
      } else {
        InferResponse response;
        try {
          response = new InferResponse(deployment.name(), revision.spec().version(), request.id(), outputs, revision.number());
        } catch (RuntimeException e) { // a runtime broke its contract (a null output): fail, never leave the caller waiting
          deployment.statistics().recordFailure(inferEnd - accepted);
          log.warn("model {} returned an unusable answer to request {}", deployment.name(), request.id(), e);
          result.completeExceptionally(new InferenceFailedException(
              "model '" + deployment.name() + "' returned an unusable answer", e));
          return;
        }
        long done = System.nanoTime();
        deployment.statistics().recordSuccess(
            started - accepted, inferStart - started, inferEnd - inferStart, done - inferEnd, done - accepted);
        result.complete(response);
      }
    }
  }

  /** The replica's batcher when its deployment batches, created on first use; null otherwise. */
  private Batcher batcher(Deployment deployment, Revision revision, Replica replica) {
    BatchingSpec spec = revision.spec().scaling().batching();
    if (spec == null) {
      return null;
    }
    return batchers.computeIfAbsent(replica, r -> new Batcher(r::model, spec, scheduler, modelExecutor,
        rows -> deployment.statistics().recordExecution(rows)));
  }

  /**
   * Generates text, handing each piece to {@code onText} as it is produced (on a generation thread). The
   * future completes with how the generation ended; cancelling it stops the generation between tokens.
   * Generations run on their own threads: a long stream never holds up other models' inferences.
   */
  @Override
  public CompletableFuture<GenerateResult> generate(GenerateRequest request, Consumer<io.sluice.api.GeneratedText> onText) {
    long accepted = System.nanoTime();
    return onGenerationThread("generation", request.model(), null, request.revision(),
        (deployment, revision, lease, result) -> runGeneration(deployment, revision, lease, request, onText, accepted,
            result));
  }

  /**
   * The tokens of a generate request's prompt or messages, as the model would see them (vLLM's
   * {@code /tokenize}); fails with invalid input when the model has no tokenizer to offer.
   */
  @Override
  public CompletableFuture<io.sluice.api.Tokenization> tokenize(GenerateRequest request, boolean addSpecial) {
    long accepted = System.nanoTime();
    return onGenerationThread("tokenize", request.model(), null, request.revision(),
        (deployment, leased, lease, result) -> runLeased(deployment, lease, "tokenizing", accepted, result,
            model -> tokenizer(deployment, model).tokenize(request, addSpecial)));
  }

  /** The text of token ids under the model's tokenizer (vLLM's {@code /detokenize}). */
  @Override
  public CompletableFuture<String> detokenize(String model, String revision, int[] tokens) {
    long accepted = System.nanoTime();
    return onGenerationThread("detokenize", model, null, revision,
        (deployment, leased, lease, result) -> runLeased(deployment, lease, "detokenizing", accepted, result,
            loaded -> tokenizer(deployment, loaded).detokenize(tokens)));
  }

  private static io.sluice.spi.TokenizingModel tokenizer(Deployment deployment, LoadedModel model) {
    if (!(model instanceof io.sluice.spi.TokenizingModel tokenizing)) {
      throw new InvalidInputException("model '" + deployment.name() + "' has no tokenizer to offer");
    }
    return tokenizing;
  }

  /** Work that holds a thread for a whole stream, on the revision the request selects. */
  @FunctionalInterface
  private interface StreamWork<T> {
    void run(Deployment deployment, Revision revision, Router.Lease lease, CompletableFuture<T> result);
  }

  private <T> CompletableFuture<T> onGenerationThread(String operation, String model, String version, String revision,
      StreamWork<T> work) {
    Deployment deployment;
    Revision selected;
    try {
      deployment = registry.resolve(model, version);
      selected = deployment.select(revision, version);
    } catch (SluiceException e) {
      return CompletableFuture.failedFuture(e);
    }
    Supplier<Revision> reselect = revision == null ? () -> deployment.select(null, version) : null;
    return leased(operation, deployment, selected, reselect, generationExecutor,
        (leasedRevision, lease, result) -> work.run(deployment, leasedRevision, lease, result));
  }

  /**
   * Records spans with {@code telemetry}: each request's wait for a replica ({@code queue}) and its model work
   * ({@code inference}, {@code generation}, ...), children of the span current when it was submitted.
   */
  public void traceWith(OpenTelemetry telemetry) {
    this.tracer = telemetry.getTracer(RequestSpans.INSTRUMENTATION);
    this.tracing = true;
  }

  /** The tracer protocol adapters record their own stages with (decode, encode); no-op unless tracing is on. */
  @Override
  public Tracer tracer() {
    return tracer;
  }

  /** Hears every generation's timing and token counts (LLM metrics); replaces the previous listener. */
  public void listenToGenerations(GenerationListener listener) {
    this.generations = listener == null ? GenerationListener.NONE : listener;
  }

  private void runGeneration(Deployment deployment, Revision revision, Router.Lease lease, GenerateRequest request,
      Consumer<io.sluice.api.GeneratedText> onText, long accepted, CompletableFuture<GenerateResult> result) {
    GenerationListener listener = generations;
    String number = Integer.toString(revision.number());
    long started = System.nanoTime();
    long[] last = {-1};
    Consumer<io.sluice.api.GeneratedText> timed = piece -> {
      long now = System.nanoTime();
      if (last[0] < 0) {
        listener.firstPiece(deployment.name(), number, now - accepted);
      } else {
        listener.nextPiece(deployment.name(), number, now - last[0]);
      }
      last[0] = now;
      onText.accept(piece);
    };
    runLeased(deployment, lease, "generating", accepted, result, model -> {
      if (!(model instanceof GenerativeModel generative)) {
        throw new InvalidInputException("model '" + deployment.name() + "' does not generate text");
      }
      GenerateResult outcome = generative.generate(request, timed, result::isDone);
      listener.finished(deployment.name(), number, outcome, started - accepted, System.nanoTime() - accepted);
      return outcome;
    });
  }

  /**
   * Runs an inference whose outputs may arrive in pieces ({@link StreamingModel}, such as speech spoken
   * sentence by sentence), handing each chunk to {@code onChunk} as it exists (on a streaming thread). A
   * model that cannot stream answers in one chunk. Cancelling the future stops the model between chunks.
   */
  @Override
  public CompletableFuture<Void> inferStream(InferRequest request, Consumer<List<Tensor>> onChunk) {
    long accepted = System.nanoTime();
    return onGenerationThread("inference stream", request.modelName(), request.modelVersion(), request.revision(),
        (deployment, leased, lease, result) -> runStream(deployment, lease, request, onChunk, accepted, result));
  }

  private static void runStream(Deployment deployment, Router.Lease lease, InferRequest request,
      Consumer<List<Tensor>> onChunk, long accepted, CompletableFuture<Void> result) {
    runLeased(deployment, lease, "streaming request " + request.id(), accepted, result, model -> {
      InputValidator.validateInputs(model.metadata(), request.inputs());
      List<String> outputNames = InputValidator.outputNames(model.metadata(), request.requestedOutputs());
      if (model instanceof StreamingModel streaming) {
        streaming.inferStream(request.inputs(), outputNames, onChunk, result::isDone);
      } else {
        onChunk.accept(model.infer(request.inputs(), outputNames));
      }
      return null;
    });
  }

  /**
   * A long-running call on the leased replica's model (a generation, a stream), with its statistics and
   * one error per cause; it stops early once {@code result} is done (timed out or cancelled).
   */
  private static <T> void runLeased(Deployment deployment, Router.Lease lease, String doing, long accepted,
      CompletableFuture<T> result, java.util.function.Function<LoadedModel, T> work) {
    long started = System.nanoTime();
    try (lease) {
      T outcome = work.apply(loadedModel(lease, deployment));
      long done = System.nanoTime();
      deployment.statistics().recordExecution(1);
      deployment.statistics().recordSuccess(started - accepted, 0, done - started, 0, done - accepted);
      result.complete(outcome);
    } catch (SluiceException e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      result.completeExceptionally(e);
    } catch (RuntimeException | Error e) {
      deployment.statistics().recordFailure(System.nanoTime() - accepted);
      log.warn("model {} failed while {}", deployment.name(), doing, e);
      result.completeExceptionally(new InferenceFailedException("model '" + deployment.name() + "' failed: "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e));
    }
  }

  /**
   * Explains one instance's prediction ({@link io.sluice.engine.explain.Explainer}) with the deployment's
   * explainer settings, overridden by the request's parameters within the deployment's bound: the model is
   * called on perturbed copies of the instance, as ordinary requests.
   */
  @Override
  public CompletableFuture<io.sluice.engine.client.Explanation> explain(InferRequest request, Map<String, Object> parameters) {
    try {
      io.sluice.engine.explain.ExplainSpec spec = registry.resolve(request.modelName(), request.modelVersion())
          .latest().spec().explainer().with(parameters);
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

  /** Whether the model is ready; throws {@link io.sluice.api.ModelNotFoundException} when unknown. */
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
  public Optional<String> applicationOf(String model) {
    return registry.find(model).map(deployment -> deployment.spec().application());
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
    return CompletableFuture.runAsync(() -> {
      try {
        deployment.load();
      } catch (ModelLoadException e) {
        throw new CompletionException(new InferenceFailedException("failed to load model '" + name + "': " + e.getMessage(), e));
      }
    }, modelExecutor);
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

  /** Loads every deployment in order, blocking; the first failure is thrown with the model's name. */
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
   * Stops every deployment, waiting at most {@code patience} per revision for the requests still in flight (the HTTP
   * drain has waited before this): a model call that never returns cannot keep the server from stopping.
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
