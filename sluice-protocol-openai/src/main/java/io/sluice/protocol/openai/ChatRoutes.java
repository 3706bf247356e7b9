package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InvalidInputException;
import io.sluice.api.SluiceException;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.http.SluiceHeaders;
import io.sluice.http.json.JsonIntegers;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/chat/completions} and {@code /v1/completions}, JSON or server-sent events ({@code
 * stream: true}; {@code chat.completion.chunk} events, usage last with {@code
 * stream_options.include_usage}, then {@code data: [DONE]}); {@code n} choices, log-probabilities,
 * tool calls and {@code response_format} ({@link CompletionRequests}, {@link CompletionAnswer}). A
 * client that disconnects stops its generations.
 */
public final class ChatRoutes {
  private static final String PROTOCOL = "openai";
  private static final int MAX_CHOICES = 16;

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  public ChatRoutes(EngineClient engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  /** The whole route table. */
  public void mount(Router router) {
    router.post("/v1/chat/completions").handler(ctx -> complete(ctx, true));
    router.post("/v1/completions").handler(ctx -> complete(ctx, false));
  }

  private void complete(RoutingContext ctx, boolean chat) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    JsonNode body;
    GenerateRequest request;
    int n;
    java.time.Duration keepAlive;
    try {
      body = call.body();
      String model = call.model(body, scope);
      engine.metadata(
          model, null); // unknown or unloaded models fail here, before any stream starts
      Integer choices = JsonIntegers.intField(body, "n");
      n = choices == null ? 1 : choices;
      if (n < 1 || n > MAX_CHOICES) {
        throw new InvalidInputException("n must lie between 1 and " + MAX_CHOICES);
      }
      request =
          CompletionRequests.parse(
              model, body, chat, ctx.request().getHeader(SluiceHeaders.REVISION));
      keepAlive = KeepAlive.of(body);
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    long created = System.currentTimeMillis() / 1000;
    boolean stream = body.path("stream").asBoolean(false);
    boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
    CompletionAnswer answer =
        new CompletionAnswer(
            ctx.response(),
            request.model(),
            id,
            created,
            chat,
            n,
            stream,
            request.options().topLogprobs() != null);
    if (stream) {
      answer.startStream();
    }
    List<CompletableFuture<GenerateResult>> generations = new ArrayList<>(n);
    for (int index = 0; index < n; index++) {
      int choice = index;
      CompletableFuture<GenerateResult> generation =
          engine.generate(choiceRequest(request, index), answer.sink(index));
      generations.add(
          generation.whenComplete(
              (result, error) -> {
                if (error == null) {
                  answer.finished(choice, result);
                }
              }));
    }
    ctx.response()
        .closeHandler(
            closed ->
                generations.forEach(g -> g.cancel(false))); // the client left: stop generating
    CompletableFuture<List<GenerateResult>> all =
        CompletableFuture.allOf(generations.toArray(CompletableFuture[]::new))
            .thenApply(done -> generations.stream().map(CompletableFuture::join).toList());
    if (keepAlive != null) {
      all.whenComplete((results, error) -> engine.keepAlive(request.model(), keepAlive));
    }
    all.whenComplete(
        LastResort.guarded(
            ctx.response(),
            OpenAiErrors.BODY,
            (results, error) -> {
              if (error != null) {
                Throwable cause =
                    error instanceof java.util.concurrent.CompletionException
                            && error.getCause() != null
                        ? error.getCause()
                        : error;
                generations.forEach(g -> g.cancel(false));
                if (stream) {
                  call.observe(answer.streamError(cause));
                } else {
                  call.fail(cause);
                }
              } else {
                answer.complete(results, includeUsage);
                call.observe(200);
              }
            }));
  }

  /**
   * The request of choice {@code index}: its own seed, so that n choices differ yet stay
   * reproducible.
   */
  private static GenerateRequest choiceRequest(GenerateRequest request, int index) {
    if (index == 0) {
      return request;
    }
    Long seed = request.seed() == null ? null : request.seed() + index;
    return new GenerateRequest(
        request.model(),
        request.revision(),
        request.prompt(),
        request.messages(),
        request.maxTokens(),
        request.temperature(),
        request.topP(),
        request.stop(),
        seed,
        request.options());
  }
}
