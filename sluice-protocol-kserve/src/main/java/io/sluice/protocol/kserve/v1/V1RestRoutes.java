package io.sluice.protocol.kserve.v1;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InferRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.Explanation;
import io.sluice.engine.client.ModelStatus;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelListing;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.http.SluiceHeaders;
import io.sluice.http.json.JsonFactories;
import io.sluice.protocol.kserve.http.ExplanationJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** KServe V1 (TensorFlow-Serving style): list, readiness, {@code :predict}, {@code :explain}. */
public final class V1RestRoutes {
  private static final String PROTOCOL = "v1-rest";
  private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactories.JSON);

  private final EngineClient engine;
  private final ModelScope scope;
  private final RequestObserver observer;

  public V1RestRoutes(EngineClient engine, ModelScope scope, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.observer = observer;
  }

  /**
   * KServe V1's fields of {@code GET /v1/models} ({@code models}) and of one model ({@code name},
   * {@code ready}).
   */
  public static final ModelListing.Fields MODEL_FIELDS =
      new ModelListing.Fields() {
        @Override
        public void list(JsonGenerator json, List<ModelStatus> models) throws IOException {
          json.writeArrayFieldStart("models");
          for (ModelStatus model : models) {
            json.writeString(model.name());
          }
          json.writeEndArray();
        }

        @Override
        public void model(JsonGenerator json, String model) throws IOException {
          json.writeStringField("name", model);
          json.writeBooleanField("ready", true);
        }
      };

  /** The route table but the shared model list ({@link ModelListing}). */
  public void mount(Router router) {
    router.get("/").handler(this::root);
    router.postWithRegex("/v1/models/(?<model>[^/:]+):predict").handler(this::predict);
    router.postWithRegex("/v1/models/(?<model>[^/:]+):explain").handler(this::explain);
  }

  private void root(RoutingContext ctx) {
    HttpReplies.sendJson(
        ctx.response(),
        200,
        json -> {
          json.writeStartObject();
          json.writeStringField("status", "alive");
          json.writeEndObject();
        });
  }

  /**
   * Feature attributions for each instance ({@link io.sluice.engine.explain.Explainer}); an
   * optional {@code parameters} object chooses the explainer ({@code method}, {@code target},
   * {@code baseline}, ...).
   */
  private void explain(RoutingContext ctx) {
    long started = System.nanoTime();
    String asked = ctx.pathParam("model");
    String model;
    List<CompletableFuture<Explanation>> explanations = new ArrayList<>();
    try {
      model = scope.resolve(asked);
      ModelMetadata metadata = engine.metadata(model, null);
      JsonNode root = body(ctx.body().buffer());
      Map<String, Object> parameters = parameters(root.get("parameters"));
      String revision = ctx.request().getHeader(SluiceHeaders.REVISION);
      for (JsonNode instance : instances(root)) {
        InferRequest single = V1Batch.of(metadata, MAPPER.createArrayNode().add(instance)).single();
        explanations.add(engine.explain(single.withRevision(revision), parameters));
      }
    } catch (SluiceException e) {
      int status = HttpReplies.sendError(ctx.response(), e);
      observer.observe(asked, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
      return;
    }
    CompletableFuture.allOf(explanations.toArray(CompletableFuture[]::new))
        .thenApply(done -> explanations.stream().map(CompletableFuture::join).toList())
        .whenComplete(
            LastResort.guarded(
                ctx.response(),
                LastResort.V2,
                (results, error) -> {
                  int status;
                  if (error != null) {
                    status =
                        HttpReplies.sendError(
                            ctx.response(),
                            error instanceof java.util.concurrent.CompletionException
                                    && error.getCause() != null
                                ? error.getCause()
                                : error);
                  } else {
                    status = 200;
                    HttpReplies.sendJson(
                        ctx.response(), 200, json -> ExplanationJson.write(json, null, results));
                  }
                  observer.observe(
                      model, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
                }));
  }

  /** A parameters object's values: strings, numbers and booleans. */
  private static Map<String, Object> parameters(JsonNode node) {
    Map<String, Object> parameters = new HashMap<>();
    if (node == null || node.isNull()) {
      return parameters;
    }
    if (!node.isObject()) {
      throw new InvalidInputException("\"parameters\" must be an object");
    }
    node.fields()
        .forEachRemaining(
            entry -> {
              JsonNode value = entry.getValue();
              parameters.put(
                  entry.getKey(),
                  value.isIntegralNumber()
                      ? (Object) value.asLong()
                      : value.isNumber()
                          ? (Object) value.asDouble()
                          : value.isBoolean() ? (Object) value.asBoolean() : value.asText());
            });
    return parameters;
  }

  private void predict(RoutingContext ctx) {
    long started = System.nanoTime();
    String asked = ctx.pathParam("model");
    String model;
    V1Batch batch;
    try {
      model = scope.resolve(asked);
      ModelMetadata metadata = engine.metadata(model, null);
      batch = V1Batch.of(metadata, instances(ctx.body().buffer()));
    } catch (SluiceException e) {
      int status = HttpReplies.sendError(ctx.response(), e);
      observer.observe(asked, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
      return;
    }
    batch
        .run(engine, ctx.request().getHeader(SluiceHeaders.REVISION))
        .whenComplete(
            LastResort.guarded(
                ctx.response(),
                LastResort.V2,
                (predictions, error) -> {
                  int status;
                  if (error != null) {
                    status = HttpReplies.sendError(ctx.response(), error);
                  } else {
                    status = 200;
                    HttpReplies.sendJson(ctx.response(), 200, predictions::write);
                  }
                  observer.observe(
                      model, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
                }));
  }

  /** The {@code instances} (or {@code inputs}) array of a predict body. */
  private static JsonNode instances(Buffer body) {
    return instances(body(body));
  }

  private static JsonNode body(Buffer body) {
    if (body == null || body.length() == 0) {
      throw new InvalidInputException("the request body is empty; expected {\"instances\": [...]}");
    }
    JsonNode root;
    try (JsonParser parser = MAPPER.createParser(body.getBytes())) {
      root = MAPPER.readTree(parser);
      if (parser.nextToken() != null) {
        throw new InvalidInputException(
            "malformed JSON: unexpected content after the request object");
      }
    } catch (JsonParseException e) {
      throw new InvalidInputException("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidInputException("unreadable request: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new InvalidInputException("the request body must be a JSON object with \"instances\"");
    }
    return root;
  }

  private static JsonNode instances(JsonNode root) {
    JsonNode instances = root.has("instances") ? root.get("instances") : root.get("inputs");
    if (instances == null || !instances.isArray()) {
      throw new InvalidInputException("the request needs an \"instances\" (or \"inputs\") array");
    }
    if (instances.isEmpty()) {
      throw new InvalidInputException("\"instances\" is empty");
    }
    return instances;
  }
}
