package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.sluice.api.GenerateRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.SluiceException;
import io.sluice.http.LastResort;
import io.sluice.http.RequestObserver;
import io.sluice.http.json.JsonIntegers;
import io.sluice.pipelines.rag.RagPipeline;
import io.sluice.pipelines.rag.Source;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST {prefix}/v1/chat/completions} answered from a document collection ({@link
 * RagPipeline}): the OpenAI chat request and answer (JSON or {@code stream: true}), where the last
 * user message is the question, {@code model} may be left out, and an optional {@code documents}
 * array (strings, or {@code {title, text}}) adds documents for this request. Every answer and chunk
 * carries {@code citations}: the sources the LLM was given, numbered as it was told to cite them,
 * with their document, chunk, score and text.
 */
public final class RetrievalChatRoutes {
  private static final String PROTOCOL = "openai";

  private final RagPipeline pipeline;
  private final io.sluice.engine.client.EngineClient engine;
  private final RequestObserver observer;

  public RetrievalChatRoutes(
      RagPipeline pipeline, io.sluice.engine.client.EngineClient engine, RequestObserver observer) {
    this.pipeline = pipeline;
    this.engine = engine;
    this.observer = observer;
  }

  /** Mounts the route under {@code prefix}; the routes are returned so that they can be removed. */
  public List<Route> mount(Router router, String prefix) {
    return List.of(router.post(prefix + "/v1/chat/completions").handler(this::complete));
  }

  private void complete(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    call.named(pipeline.spec().name());
    JsonNode body;
    GenerateRequest request;
    Map<String, String> documents;
    String question;
    try {
      body = call.body();
      Integer choices = JsonIntegers.intField(body, "n");
      if (choices != null && choices != 1) {
        throw new InvalidInputException("n must be 1 for answers from documents");
      }
      request = CompletionRequests.parse(pipeline.spec().llm(), body, true, null);
      question = lastUserMessage(request);
      documents = documents(body.path("documents"));
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    String model = body.path("model").asText(pipeline.spec().name());
    boolean stream = body.path("stream").asBoolean(false);
    boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
    CompletableFuture<List<Source>> retrieval = pipeline.retrieve(question, documents);
    CompletableFuture<io.sluice.api.GenerateResult> generation = new CompletableFuture<>();
    ctx.response()
        .closeHandler(
            closed -> {
              retrieval.cancel(false);
              generation.cancel(false);
            });
    retrieval.whenComplete(
        LastResort.guarded(
            ctx.response(),
            OpenAiErrors.BODY,
            (sources, error) -> {
              if (error != null) {
                call.fail(unwrap(error));
                return;
              }
              String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
              CompletionAnswer answer =
                  new CompletionAnswer(
                          ctx.response(),
                          model,
                          id,
                          System.currentTimeMillis() / 1000,
                          true,
                          1,
                          stream,
                          request.options().topLogprobs() != null)
                      .with("citations", citations(sources));
              if (stream) {
                answer.startStream();
              }
              engine
                  .generate(pipeline.withSources(request, sources), answer.sink(0))
                  .whenComplete(
                      (result, failure) -> {
                        if (failure == null) {
                          generation.complete(result);
                        } else {
                          generation.completeExceptionally(unwrap(failure));
                        }
                      });
              generation.whenComplete(
                  LastResort.guarded(
                      ctx.response(),
                      OpenAiErrors.BODY,
                      (result, failure) -> {
                        if (failure != null) {
                          if (stream) {
                            call.observe(answer.streamError(unwrap(failure)));
                          } else {
                            call.fail(unwrap(failure));
                          }
                          return;
                        }
                        answer.finished(0, result);
                        answer.complete(List.of(result), includeUsage);
                        call.observe(200);
                      }));
            }));
  }

  private static String lastUserMessage(GenerateRequest request) {
    List<GenerateRequest.ChatMessage> messages = request.messages();
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) {
        return messages.get(i).content();
      }
    }
    throw new InvalidInputException("the conversation needs a user message with the question");
  }

  /**
   * A request's own documents are chunked and embedded while the client waits, on the embedding
   * model every client shares: bounded so one request cannot occupy it for minutes (the collection,
   * embedded once, has no bound).
   */
  static final int MAX_REQUEST_DOCUMENTS = 64;

  static final int MAX_REQUEST_DOCUMENT_CHARACTERS = 65_536;

  private static Map<String, String> documents(JsonNode node) {
    Map<String, String> documents = new LinkedHashMap<>();
    if (node.isMissingNode() || node.isNull()) {
      return documents;
    }
    if (!node.isArray()) {
      throw new InvalidInputException(
          "documents must be an array of strings or {title, text} objects");
    }
    if (node.size() > MAX_REQUEST_DOCUMENTS) {
      throw new InvalidInputException(
          "documents may hold at most " + MAX_REQUEST_DOCUMENTS + " items, got " + node.size());
    }
    long characters = 0;
    for (JsonNode document : node) {
      characters +=
          document.isTextual()
              ? document.asText().length()
              : document.path("text").asText("").length();
    }
    if (characters > MAX_REQUEST_DOCUMENT_CHARACTERS) {
      throw new InvalidInputException(
          "documents may hold at most "
              + MAX_REQUEST_DOCUMENT_CHARACTERS
              + " characters in all, got "
              + characters
              + "; put larger collections in the pipeline's configured documents");
    }
    for (JsonNode document : node) {
      String title = document.path("title").asText("request document " + (documents.size() + 1));
      String text = document.isTextual() ? document.asText() : document.path("text").asText(null);
      if (text == null || text.isBlank()) {
        throw new InvalidInputException("documents[" + documents.size() + "] has no text");
      }
      documents.put(
          document.isTextual() ? "request document " + (documents.size() + 1) : title, text);
    }
    return documents;
  }

  private static ArrayNode citations(List<Source> sources) {
    ArrayNode citations = OpenAiBodies.MAPPER.createArrayNode();
    for (Source source : sources) {
      citations
          .addObject()
          .put("index", source.number())
          .put("document", source.chunk().document())
          .put("chunk", source.chunk().index())
          .put("score", source.score())
          .put("text", source.chunk().text());
    }
    return citations;
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }
}
