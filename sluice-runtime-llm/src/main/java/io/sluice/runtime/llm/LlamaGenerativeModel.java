package io.sluice.runtime.llm;

import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.runtime.llm.bind.LlamaContext;
import io.sluice.runtime.llm.bind.LlamaModel;
import io.sluice.runtime.llm.chat.ChatTemplate;
import io.sluice.runtime.llm.chat.ReasoningFormat;
import io.sluice.runtime.llm.chat.ReasoningSplitter;
import io.sluice.runtime.llm.chat.ToolCalls;
import io.sluice.runtime.llm.schedule.GenerationListener;
import io.sluice.runtime.llm.schedule.GenerationOutcome;
import io.sluice.runtime.llm.schedule.GenerationRequest;
import io.sluice.runtime.llm.schedule.SamplingOptions;
import io.sluice.runtime.llm.schedule.Scheduler;
import io.sluice.runtime.llm.schedule.SchedulerStats;
import io.sluice.runtime.llm.schedule.TokenLogprob;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelSource;
import io.sluice.spi.ReportingModel;
import io.sluice.spi.TokenizingModel;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A GGUF model served by the scheduler: each {@link #generate} call becomes one of its generations,
 * and the text the scheduler's thread produces is handed to the caller's thread.
 */
final class LlamaGenerativeModel implements GenerativeModel, TokenizingModel, ReportingModel {
  /** llama-server's sampling defaults, used where a request names none. */
  private static final float TEMPERATURE = 0.8f;

  private static final float TOP_P = 0.95f;
  private static final int TOP_K = 40;
  private static final float MIN_P = 0.05f;

  private final ModelMetadata metadata;
  private final LlamaModel model;
  private final LlamaContext context;
  private final Scheduler scheduler;
  private final ChatTemplate template;
  private final ReasoningFormat reasoning;
  private final List<String> adapters;
  private final String bosText;

  LlamaGenerativeModel(
      ModelSource source,
      LlamaModel model,
      LlamaContext context,
      Scheduler scheduler,
      ChatTemplate template,
      ReasoningFormat reasoning,
      List<String> adapters) {
    this.metadata = GenerativeModel.textMetadata(source, "llama_gguf");
    this.model = model;
    this.context = context;
    this.scheduler = scheduler;
    this.template = template;
    this.reasoning = reasoning;
    this.adapters = List.copyOf(adapters);
    this.bosText = model.tokenText(model.bos());
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public io.sluice.api.Tokenization tokenize(GenerateRequest request, boolean addSpecial) {
    return new io.sluice.api.Tokenization(
        model.tokenize(promptText(request), addSpecial, true), context.sequenceCells());
  }

  /** The tokens of {@code text} as a prompt would have them (no BOS). */
  int[] tokenize(String text) {
    return model.tokenize(text, false, true);
  }

  int vocabularySize() {
    return model.vocabularySize();
  }

  @Override
  public String detokenize(int[] tokens) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    for (int token : tokens) {
      if (token < 0 || token >= model.vocabularySize()) {
        throw new io.sluice.api.InvalidInputException(
            "token "
                + token
                + " is not in the vocabulary (0 to "
                + (model.vocabularySize() - 1)
                + ")");
      }
      bytes.writeBytes(model.piece(token));
    }
    return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  SchedulerStats stats() {
    return scheduler.stats();
  }

  @Override
  public java.util.Map<String, Double> statistics() {
    SchedulerStats stats = scheduler.stats();
    return java.util.Map.ofEntries(
        java.util.Map.entry(Statistic.LLM_RUNNING.key(), (double) stats.running()),
        java.util.Map.entry(Statistic.LLM_WAITING.key(), (double) stats.waiting()),
        java.util.Map.entry(Statistic.LLM_KV_CACHE_USAGE.key(), stats.kvUsage()),
        java.util.Map.entry(Statistic.LLM_PROMPT_TOKENS.key(), (double) stats.promptTokens()),
        java.util.Map.entry(
            Statistic.LLM_GENERATION_TOKENS.key(), (double) stats.generatedTokens()),
        java.util.Map.entry(
            Statistic.LLM_PREFIX_CACHE_HITS.key(), (double) stats.cachedPromptTokens()),
        java.util.Map.entry(Statistic.LLM_PREEMPTIONS.key(), (double) stats.preemptions()),
        java.util.Map.entry(Statistic.LLM_FINISHED.key(), (double) stats.finished()),
        java.util.Map.entry(Statistic.LLM_STEPS.key(), (double) stats.steps()),
        java.util.Map.entry(Statistic.LLM_DECODE_SECONDS.key(), stats.decodeNanos() / 1e9),
        java.util.Map.entry(Statistic.LLM_HOST_SECONDS.key(), stats.hostNanos() / 1e9),
        java.util.Map.entry(
            Statistic.LLM_SAVED_PREFIX_BYTES.key(), (double) stats.savedPrefixBytes()));
  }

  @Override
  public GenerateResult generate(
      GenerateRequest request, Consumer<GeneratedText> onText, BooleanSupplier cancelled) {
    int adapter = adapters.indexOf(request.model()); // a LoRA adapter's name, else the model's
    if (adapter < 0 && !request.model().equals(metadata.name())) {
      // named by the configuration, not loaded here: a revision rolling out to serve it
      throw new io.sluice.api.ModelNotReadyException(
          "LoRA adapter '" + request.model() + "' is not loaded yet; retry");
    }
    String promptText = promptText(request);
    int[] prompt = model.tokenize(promptText, true, true);
    boolean toolsOffered =
        !request.options().tools().isEmpty() && !request.options().toolChoice().equals("none");
    ToolCalls.Extractor calls =
        toolsOffered ? new ToolCalls.Extractor(template.toolCallFormat(), onText) : null;
    Consumer<GeneratedText> sink = calls != null ? calls : onText;
    // a grammar (a forced call, a JSON schema) shapes the whole answer: there is no thinking in it
    String grammar = OutputGrammar.of(request, template.toolCallFormat());
    ReasoningSplitter thinking =
        request.messages() != null && reasoning.separates() && grammar == null
            ? new ReasoningSplitter(reasoning, reasoning.openedBy(promptText), sink)
            : null;
    if (thinking != null) {
      sink = thinking;
    }
    GenerateOptions options = request.options();
    GenerationRequest generation =
        new GenerationRequest(
            prompt,
            sampling(request, grammar),
            request.maxTokens(),
            request.stop(),
            options.topLogprobs() == null ? -1 : options.topLogprobs(),
            options.ignoreEos(),
            adapter);
    // Text goes to the sink from the decoding thread itself, as each step samples it: handing it to
    // this thread first woke one more thread per token, and on a small host every thread woken
    // during a decode takes a core from it. This thread waits for the outcome and relays cancels.
    LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
    AtomicBoolean stopped = new AtomicBoolean(); // cancelled, or the sink failed: no more text
    AtomicReference<RuntimeException> sinkFailure = new AtomicReference<>();
    Consumer<GeneratedText> out = sink;
    Scheduler.Ticket ticket =
        scheduler.submit(
            generation,
            new GenerationListener() {
              @Override
              public void onText(String text, List<TokenLogprob> logprobs) {
                if (stopped.get()) {
                  return;
                }
                if (cancelled.getAsBoolean()) {
                  stopped.set(true);
                  return;
                }
                try {
                  out.accept(
                      new GeneratedText(
                          text, logprobs.stream().map(LlamaGenerativeModel::apiLogprob).toList()));
                } catch (RuntimeException e) { // this generation's, never the other streams'
                  sinkFailure.set(e);
                  stopped.set(true);
                }
              }

              @Override
              public void onFinish(GenerationOutcome outcome) {
                events.add(outcome);
              }

              @Override
              public void onError(RuntimeException error) {
                events.add(error);
              }
            });
    boolean cancelSent = false;
    while (true) {
      Object event;
      try {
        event = events.poll(50, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        ticket.cancel();
        Thread.currentThread().interrupt();
        throw new InferenceFailedException("interrupted while generating");
      }
      if (!cancelSent && (stopped.get() || cancelled.getAsBoolean())) {
        stopped.set(true);
        ticket.cancel();
        cancelSent = true;
      }
      if (event instanceof GenerationOutcome outcome) {
        if (sinkFailure.get() != null) {
          throw sinkFailure.get();
        }
        String reason = outcome.reason().equals("cancelled") ? "stop" : outcome.reason();
        if (thinking != null) {
          thinking.finish();
        }
        if (calls != null) {
          calls.finish();
          reason = calls.calls() > 0 && reason.equals("stop") ? "tool_calls" : reason;
        }
        return new GenerateResult(
            reason, outcome.promptTokens(), outcome.completionTokens(), outcome.stopSequence());
      } else if (event instanceof io.sluice.api.SluiceException refused) {
        throw refused;
      } else if (event instanceof RuntimeException error) {
        throw new InferenceFailedException("llama.cpp failed: " + error.getMessage(), error);
      }
    }
  }

  private String promptText(GenerateRequest request) {
    if (request.prompt() != null) {
      return request.prompt();
    }
    boolean toolsOffered = !request.options().toolChoice().equals("none");
    String rendered =
        template.render(
            request.messages(),
            toolsOffered ? request.options().tools() : java.util.List.of(),
            request.options().chatTemplateArguments());
    // tokenize() adds BOS itself where the model wants one; a template that writes it too would
    // double it
    return !bosText.isEmpty() && rendered.startsWith(bosText)
        ? rendered.substring(bosText.length())
        : rendered;
  }

  private SamplingOptions sampling(GenerateRequest request, String grammar) {
    GenerateOptions options = request.options();
    float temperature = request.temperature() != null ? request.temperature() : TEMPERATURE;
    float topP = request.topP() != null ? request.topP() : TOP_P;
    long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextInt();
    return new SamplingOptions(
        temperature,
        topP,
        or(options.topK(), TOP_K),
        or(options.minP(), MIN_P),
        or(options.repetitionPenalty(), 1f),
        or(options.frequencyPenalty(), 0f),
        or(options.presencePenalty(), 0f),
        seed,
        options.logitBias(),
        grammar);
  }

  private static <T> T or(T value, T fallback) {
    return value != null ? value : fallback;
  }

  private static GeneratedText.TokenLogprob apiLogprob(TokenLogprob logprob) {
    return new GeneratedText.TokenLogprob(
        utf8(logprob.bytes()),
        logprob.bytes(),
        logprob.logprob(),
        logprob.top().stream()
            .map(
                alternative ->
                    new GeneratedText.Alternative(
                        utf8(alternative.bytes()), alternative.bytes(), alternative.logprob()))
            .toList());
  }

  private static String utf8(byte[] bytes) {
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    return inferByGenerating(inputs);
  }

  /** The weights, the KV cache of the context's cells and the host memory of cells copied out. */
  @Override
  public long memoryBytes() {
    return model.weightBytes()
        + model.kvCacheBytes(context.contextCells())
        + context.savedCellsBytes();
  }

  @Override
  public void close() {
    scheduler.close();
    context.close();
    model.close();
  }
}
