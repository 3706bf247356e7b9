package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.DataType;
import io.sluice.api.InferRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Reranking as its clients call it: Cohere's {@code POST /v1/rerank} and {@code /v2/rerank} (also
 * {@code /rerank}, as Jina and vLLM serve it) and vLLM's {@code POST /score}. Works with any model
 * that has the reranker tensor contract: inputs {@code query} and {@code document} BYTES {@code
 * [n]}, output {@code score} FP32 {@code [n]}. Errors come in OpenAI's error shape.
 */
public final class RerankRoutes {
  private static final String PROTOCOL = "rerank";
  private static final int MAX_DOCUMENTS = 1000;

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  public RerankRoutes(EngineClient engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  public void mount(Router router) {
    for (String path : List.of("/v1/rerank", "/v2/rerank", "/rerank")) {
      router.post(path).handler(this::rerank);
    }
    for (String path : List.of("/score", "/v1/score")) {
      router.post(path).handler(this::score);
    }
  }

  private record Pairs(String model, List<byte[]> queries, List<byte[]> documents) {}

  private void rerank(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    Pairs pairs;
    int topN;
    boolean returnDocuments;
    try {
      JsonNode body = call.body();
      String model = call.model(body, scope);
      requireRerankerContract(model, engine.metadata(model, null));
      String query = body.path("query").isTextual() ? body.get("query").asText() : null;
      if (query == null || query.isBlank()) {
        throw new InvalidInputException("query must be a non-empty string");
      }
      List<byte[]> documents = documents(body.get("documents"));
      topN = documents.size();
      if (body.has("top_n") && !body.get("top_n").isNull()) {
        if (!body.get("top_n").canConvertToInt() || body.get("top_n").asInt() < 1) {
          throw new InvalidInputException("top_n must be a positive integer");
        }
        topN = Math.min(topN, body.get("top_n").asInt());
      }
      returnDocuments = body.path("return_documents").asBoolean(false);
      byte[] queryBytes = query.getBytes(StandardCharsets.UTF_8);
      pairs =
          new Pairs(model, java.util.Collections.nCopies(documents.size(), queryBytes), documents);
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    int keep = topN;
    answer(
        call,
        pairs,
        scores -> {
          List<Integer> order = new ArrayList<>();
          for (int i = 0; i < scores.length; i++) {
            order.add(i);
          }
          order.sort(
              Comparator.comparingDouble((Integer i) -> -scores[i]).thenComparingInt(i -> i));
          ObjectNode node = OpenAiBodies.MAPPER.createObjectNode();
          node.put("id", UUID.randomUUID().toString());
          ArrayNode results = node.putArray("results");
          for (int i : order.subList(0, keep)) {
            ObjectNode result =
                results.addObject().put("index", i).put("relevance_score", scores[i]);
            if (returnDocuments) {
              result
                  .putObject("document")
                  .put("text", new String(pairs.documents().get(i), StandardCharsets.UTF_8));
            }
          }
          ObjectNode meta = node.putObject("meta");
          meta.putObject("api_version").put("version", "2");
          meta.putObject("billed_units").put("search_units", 1);
          return node;
        });
  }

  private void score(RoutingContext ctx) {
    OpenAiCall call = new OpenAiCall(ctx, observer, PROTOCOL);
    Pairs pairs;
    try {
      JsonNode body = call.body();
      String model = call.model(body, scope);
      requireRerankerContract(model, engine.metadata(model, null));
      List<byte[]> first = texts(body.get("text_1"), "text_1");
      List<byte[]> second = texts(body.get("text_2"), "text_2");
      if (first.size() == 1 && second.size() > 1) {
        first = java.util.Collections.nCopies(second.size(), first.getFirst());
      }
      if (first.size() != second.size()) {
        throw new InvalidInputException(
            "text_1 must be one text, or as many texts as text_2 (" + second.size() + ")");
      }
      pairs = new Pairs(model, first, second);
    } catch (SluiceException e) {
      call.fail(e);
      return;
    }
    answer(
        call,
        pairs,
        scores -> {
          ObjectNode node = OpenAiBodies.MAPPER.createObjectNode();
          node.put("id", "score-" + UUID.randomUUID().toString().replace("-", ""));
          node.put("object", "list");
          node.put("created", System.currentTimeMillis() / 1000);
          node.put("model", pairs.model());
          ArrayNode data = node.putArray("data");
          for (int i = 0; i < scores.length; i++) {
            data.addObject().put("index", i).put("object", "score").put("score", scores[i]);
          }
          return node;
        });
  }

  private void answer(OpenAiCall call, Pairs pairs, Function<float[], ObjectNode> render) {
    InferRequest request =
        new InferRequest(
            pairs.model(),
            null,
            null,
            Map.of(),
            List.of(
                Tensor.ofBytes("query", new long[] {pairs.queries().size()}, pairs.queries()),
                Tensor.ofBytes(
                    "document", new long[] {pairs.documents().size()}, pairs.documents())),
            List.of("score"));
    engine
        .infer(request)
        .whenComplete(
            LastResort.guarded(
                call.response(),
                OpenAiErrors.BODY,
                (response, error) -> {
                  if (error != null) {
                    call.fail(error);
                    return;
                  }
                  FloatBuffer values =
                      response
                          .outputs()
                          .getFirst()
                          .data()
                          .order(ByteOrder.LITTLE_ENDIAN)
                          .asFloatBuffer();
                  float[] scores = new float[values.remaining()];
                  values.get(scores);
                  try {
                    HttpReplies.send(
                        call.response(),
                        200,
                        "application/json",
                        OpenAiBodies.MAPPER.writeValueAsBytes(render.apply(scores)));
                  } catch (IOException e) {
                    throw new IllegalStateException(e);
                  }
                  call.observe(200);
                }));
  }

  private static void requireRerankerContract(String model, ModelMetadata metadata) {
    boolean query = false;
    boolean document = false;
    for (TensorMetadata input : metadata.inputs()) {
      query |= input.name().equals("query") && input.datatype() == DataType.BYTES;
      document |= input.name().equals("document") && input.datatype() == DataType.BYTES;
    }
    boolean score =
        metadata.outputs().stream()
            .anyMatch(o -> o.name().equals("score") && o.datatype() == DataType.FP32);
    if (!query || !document || !score) {
      throw new InvalidInputException(
          "model '"
              + model
              + "' does not rerank (it needs query and document inputs and a score output)");
    }
  }

  /** Cohere's documents: strings, or objects with a {@code text}. */
  static List<byte[]> documents(JsonNode documents) {
    if (documents == null || !documents.isArray() || documents.isEmpty()) {
      throw new InvalidInputException("documents must be a non-empty array");
    }
    if (documents.size() > MAX_DOCUMENTS) {
      throw new InvalidInputException(
          "documents may hold at most " + MAX_DOCUMENTS + " items, got " + documents.size());
    }
    List<byte[]> texts = new ArrayList<>(documents.size());
    for (JsonNode document : documents) {
      JsonNode text = document.isObject() ? document.get("text") : document;
      if (text == null || !text.isTextual() || text.asText().isBlank()) {
        throw new InvalidInputException(
            "every document must be a non-empty string or an object with a non-empty text");
      }
      texts.add(text.asText().getBytes(StandardCharsets.UTF_8));
    }
    return texts;
  }

  private static List<byte[]> texts(JsonNode node, String field) {
    if (node != null && node.isTextual() && !node.asText().isBlank()) {
      return List.of(node.asText().getBytes(StandardCharsets.UTF_8));
    }
    if (node != null && node.isArray() && !node.isEmpty() && node.size() <= MAX_DOCUMENTS) {
      List<byte[]> texts = new ArrayList<>();
      for (JsonNode item : node) {
        if (!item.isTextual() || item.asText().isBlank()) {
          throw new InvalidInputException(field + " must hold non-empty strings");
        }
        texts.add(item.asText().getBytes(StandardCharsets.UTF_8));
      }
      return texts;
    }
    throw new InvalidInputException(
        field + " must be a non-empty string or an array of 1 to " + MAX_DOCUMENTS + " strings");
  }
}
