package io.sluice.protocol.kserve.v2;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.SluiceException;
import io.sluice.api.TensorMetadata;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.Explanation;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatisticsSnapshot;
import io.sluice.engine.client.ModelStatus;
import io.sluice.http.ErrorStatus;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.http.SluiceHeaders;
import io.sluice.http.json.JsonFactories;
import io.sluice.protocol.kserve.ServerInfo;
import io.sluice.protocol.kserve.http.ExplanationJson;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The V2 / Open Inference Protocol REST surface: health, metadata, infer, repository and
 * statistics.
 */
public final class V2RestRoutes {
  static final String PROTOCOL = "v2-rest";
  private static final JsonFactory JSON = JsonFactories.JSON;

  private final EngineClient engine;
  private final ModelScope scope;
  private final ServerInfo serverInfo;
  private final RequestObserver observer;

  public V2RestRoutes(
      EngineClient engine, ModelScope scope, ServerInfo serverInfo, RequestObserver observer) {
    this.engine = engine;
    this.scope = scope;
    this.serverInfo = serverInfo;
    this.observer = observer;
  }

  /** The whole route table. */
  public void mount(Router router) {
    router.get("/v2/health/live").handler(this::live);
    router.get("/v2/health/ready").handler(this::ready);
    router.get("/v2").handler(this::serverMetadata);
    router.get("/v2/models").handler(this::listModels);
    router.get("/v2/models/stats").handler(this::statistics);
    router.get("/v2/models/:model").handler(this::modelMetadata);
    router.get("/v2/models/:model/versions/:version").handler(this::modelMetadata);
    router.get("/v2/models/:model/ready").handler(this::modelReady);
    router.get("/v2/models/:model/versions/:version/ready").handler(this::modelReady);
    router.get("/v2/models/:model/stats").handler(this::statistics);
    router.get("/v2/models/:model/versions/:version/stats").handler(this::statistics);
    router.post("/v2/models/:model/infer").handler(this::infer);
    router.post("/v2/models/:model/versions/:version/infer").handler(this::infer);
    router.post("/v2/models/:model/explain").handler(this::explain);
    router.post("/v2/models/:model/generate").handler(ctx -> generate(ctx, false));
    router.post("/v2/models/:model/generate_stream").handler(ctx -> generate(ctx, true));
    router.post("/v2/repository/index").handler(this::repositoryIndex);
    router.post("/v2/repository/models/:model/load").handler(this::load);
    router.post("/v2/repository/models/:model/unload").handler(this::unload);
  }

  private void live(RoutingContext ctx) {
    if (engine.isLive()) {
      HttpReplies.sendJson(ctx.response(), 200, json -> booleanObject(json, "live", true));
    } else {
      HttpReplies.sendError(ctx.response(), 503, "server is not live");
    }
  }

  private void ready(RoutingContext ctx) {
    if (engine.isReady()) {
      HttpReplies.sendJson(ctx.response(), 200, json -> booleanObject(json, "ready", true));
    } else {
      HttpReplies.sendError(ctx.response(), 503, "server is not ready: " + notReadyModels());
    }
  }

  private String notReadyModels() {
    StringBuilder text = new StringBuilder();
    for (ModelStatus status : engine.index()) {
      if (status.state() != ModelState.READY) {
        text.append(text.isEmpty() ? "" : ", ")
            .append(status.name())
            .append(' ')
            .append(status.state());
      }
    }
    return text.isEmpty() ? "shutting down" : text.toString();
  }

  private void serverMetadata(RoutingContext ctx) {
    HttpReplies.sendJson(
        ctx.response(),
        200,
        json -> {
          json.writeStartObject();
          json.writeStringField("name", serverInfo.name());
          json.writeStringField("version", serverInfo.version());
          json.writeArrayFieldStart("extensions");
          for (String extension : serverInfo.extensions()) {
            json.writeString(extension);
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }

  private void listModels(RoutingContext ctx) {
    HttpReplies.sendJson(
        ctx.response(),
        200,
        json -> {
          json.writeStartObject();
          json.writeArrayFieldStart("models");
          for (ModelStatus model : scope.models()) {
            json.writeString(model.name());
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }

  private void modelMetadata(RoutingContext ctx) {
    String asked = ctx.pathParam("model");
    String model;
    try {
      model = scope.resolve(asked);
      ModelMetadata metadata = engine.metadata(model, ctx.pathParam("version"));
      HttpReplies.sendJson(ctx.response(), 200, json -> writeMetadata(json, metadata));
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
    }
  }

  static void writeMetadata(JsonGenerator json, ModelMetadata metadata) throws IOException {
    json.writeStartObject();
    json.writeStringField("name", metadata.name());
    json.writeArrayFieldStart("versions");
    for (String version : metadata.versions()) {
      json.writeString(version);
    }
    json.writeEndArray();
    json.writeStringField("platform", metadata.platform());
    writeTensors(json, "inputs", metadata.inputs());
    writeTensors(json, "outputs", metadata.outputs());
    json.writeEndObject();
  }

  private static void writeTensors(JsonGenerator json, String field, List<TensorMetadata> tensors)
      throws IOException {
    json.writeArrayFieldStart(field);
    for (TensorMetadata tensor : tensors) {
      json.writeStartObject();
      json.writeStringField("name", tensor.name());
      json.writeStringField("datatype", tensor.datatype().name());
      json.writeArrayFieldStart("shape");
      for (long dim : tensor.shape()) {
        json.writeNumber(dim);
      }
      json.writeEndArray();
      json.writeEndObject();
    }
    json.writeEndArray();
  }

  private void modelReady(RoutingContext ctx) {
    String asked = ctx.pathParam("model");
    String model;
    try {
      model = scope.resolve(asked);
      if (engine.isModelReady(model, ctx.pathParam("version"))) {
        HttpReplies.sendJson(
            ctx.response(),
            200,
            json -> {
              json.writeStartObject();
              json.writeStringField("name", model);
              json.writeBooleanField("ready", true);
              json.writeEndObject();
            });
      } else {
        HttpReplies.sendError(ctx.response(), 503, "model '" + model + "' is not ready");
      }
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
    }
  }

  private void infer(RoutingContext ctx) {
    infer(ctx.request(), ctx.body().buffer(), ctx.pathParam("model"), ctx.pathParam("version"));
  }

  /**
   * Infers with a request whose body has been read; the front door calls this directly for the
   * plain {@code /v2/models/{m}/infer} path, skipping the route table on the hottest path.
   */
  public void infer(HttpServerRequest request, Buffer body, String asked, String pathVersion) {
    String version =
        pathVersion != null ? pathVersion : request.getHeader(SluiceHeaders.MULTIPLEXED_MODEL_ID);
    String model;
    long started = System.nanoTime();
    HttpServerResponse response = request.response();
    Context trace = Context.current(); // the request's server span, when tracing is on
    DecodedInferRequest decoded;
    Span decoding = engine.tracer().spanBuilder("decode").startSpan();
    try {
      model = scope.resolve(asked);
      Integer headerLength = headerLength(request.getHeader("Inference-Header-Content-Length"));
      byte[] bytes = body == null ? new byte[0] : body.getBytes();
      decoded =
          V2RequestDecoder.decode(
              model, version, bytes, headerLength, () -> engine.metadata(model, version));
    } catch (SluiceException e) {
      decoding.setStatus(StatusCode.ERROR, e.getMessage());
      int status = HttpReplies.sendError(response, e);
      observer.observe(asked, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
      return;
    } finally {
      decoding.end();
    }
    CompletableFuture<InferResponse> inference =
        engine.infer(decoded.request().withRevision(request.getHeader(SluiceHeaders.REVISION)));
    response.closeHandler(closed -> inference.cancel(false)); // the client went away
    inference.whenComplete(
        LastResort.guarded(
            response,
            LastResort.V2,
            (result, error) -> {
              int status;
              if (error != null) {
                status = HttpReplies.sendError(response, error);
              } else {
                Span encoding = engine.tracer().spanBuilder("encode").setParent(trace).startSpan();
                EncodedBody encoded;
                try {
                  encoded = V2ResponseEncoder.encode(result, decoded.outputEncoding());
                } finally {
                  encoding.end();
                }
                status = 200;
                if (result.revision() != null) {
                  response.putHeader(
                      SluiceHeaders.REVISION,
                      result.revision().toString()); // which revision answered
                }
                encoded.sendTo(response);
              }
              observer.observe(
                  model, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
            }));
  }

  /**
   * Feature attributions for one instance: an infer body (its inputs with a batch dimension of 1)
   * whose {@code parameters} override the deployment's explainer settings ({@code method}, {@code
   * target}, {@code baseline}, ...; {@link io.sluice.engine.explain.ExplainSpec}).
   */
  private void explain(RoutingContext ctx) {
    long started = System.nanoTime();
    String asked = ctx.pathParam("model");
    String model;
    HttpServerResponse response = ctx.response();
    CompletableFuture<Explanation> explanation;
    try {
      model = scope.resolve(asked);
      Buffer body = ctx.body().buffer();
      DecodedInferRequest decoded =
          V2RequestDecoder.decode(
              model,
              null,
              body == null ? new byte[0] : body.getBytes(),
              null,
              () -> engine.metadata(model, null));
      explanation =
          engine.explain(
              decoded.request().withRevision(ctx.request().getHeader(SluiceHeaders.REVISION)),
              decoded.request().parameters());
    } catch (SluiceException e) {
      int status = HttpReplies.sendError(response, e);
      observer.observe(asked, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
      return;
    }
    explanation.whenComplete(
        LastResort.guarded(
            response,
            LastResort.V2,
            (result, error) -> {
              int status;
              if (error != null) {
                status = HttpReplies.sendError(response, error);
              } else {
                status = 200;
                HttpReplies.sendJson(
                    response, 200, json -> ExplanationJson.write(json, model, List.of(result)));
              }
              observer.observe(
                  model, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
            }));
  }

  /**
   * The generate extension: {@code text_input} and {@code parameters} in, {@code text_output} out
   * (or SSE).
   */
  private void generate(RoutingContext ctx, boolean stream) {
    long started = System.nanoTime();
    String asked = ctx.pathParam("model");
    String model;
    HttpServerResponse response = ctx.response();
    GenerateRequest request;
    try {
      model = scope.resolve(asked);
      request =
          GenerateBody.read(
              model, ctx.body().buffer(), ctx.request().getHeader(SluiceHeaders.REVISION));
      engine.metadata(model, null);
    } catch (SluiceException e) {
      int status = HttpReplies.sendError(response, e);
      observer.observe(asked, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
      return;
    }
    StringBuilder text = new StringBuilder();
    if (stream) {
      response
          .setChunked(true)
          .putHeader("content-type", "text/event-stream")
          .putHeader("cache-control", "no-cache");
    }
    CompletableFuture<GenerateResult> generation =
        engine.generate(
            request,
            piece -> {
              if (stream) {
                writeEvent(response, GenerateBody.event(model, piece.text(), null));
              } else {
                synchronized (text) {
                  text.append(piece.text());
                }
              }
            });
    response.closeHandler(closed -> generation.cancel(false));
    generation.whenComplete(
        LastResort.guarded(
            response,
            LastResort.V2,
            (result, error) -> {
              int status = 200;
              if (error != null && stream) {
                status = ErrorStatus.httpStatus(error);
                writeEvent(response, HttpReplies.errorJson(ErrorStatus.message(error)));
                endIfOpen(response);
              } else if (error != null) {
                status = HttpReplies.sendError(response, error);
              } else if (stream) {
                writeEvent(
                    response,
                    GenerateBody.event(model, "", GenerateBody.finishReason(result, request)));
                endIfOpen(response);
              } else {
                String output;
                synchronized (text) {
                  output = text.toString();
                }
                HttpReplies.send(
                    response,
                    200,
                    "application/json",
                    GenerateBody.event(model, output, GenerateBody.finishReason(result, request)));
              }
              observer.observe(
                  model, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
            }));
  }

  private static void writeEvent(HttpServerResponse response, byte[] json) {
    if (!response.closed() && !response.ended()) {
      response.write(Buffer.buffer("data: ").appendBytes(json).appendString("\n\n"));
    }
  }

  private static void endIfOpen(HttpServerResponse response) {
    if (!response.closed() && !response.ended()) {
      response.end();
    }
  }

  private static Integer headerLength(String value) {
    if (value == null) {
      return null;
    }
    try {
      int length = Integer.parseInt(value.trim());
      if (length < 0) {
        throw new NumberFormatException();
      }
      return length;
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "Inference-Header-Content-Length must be a non-negative integer, got '" + value + "'");
    }
  }

  private void repositoryIndex(RoutingContext ctx) {
    boolean readyOnly;
    try {
      readyOnly = readBooleanField(ctx.body().buffer(), "ready");
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
      return;
    }
    List<ModelStatus> statuses =
        engine.index().stream()
            .filter(scope::includes)
            .filter(status -> !readyOnly || status.state() == ModelState.READY)
            .toList();
    HttpReplies.sendJson(
        ctx.response(),
        200,
        json -> {
          json.writeStartArray();
          for (ModelStatus status : statuses) {
            json.writeStartObject();
            json.writeStringField("name", status.name());
            json.writeStringField("version", status.version());
            json.writeStringField("state", RepositoryStates.wireName(status.state()));
            json.writeStringField("reason", status.reason());
            json.writeEndObject();
          }
          json.writeEndArray();
        });
  }

  private void load(RoutingContext ctx) {
    repositoryAction(ctx, true);
  }

  private void unload(RoutingContext ctx) {
    repositoryAction(ctx, false);
  }

  private void repositoryAction(RoutingContext ctx, boolean load) {
    String asked = ctx.pathParam("model");
    String model;
    try {
      model = scope.resolve(asked);
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
      return;
    }
    (load ? engine.load(model) : engine.unload(model))
        .whenComplete(
            LastResort.guarded(
                ctx.response(),
                LastResort.V2,
                (ignored, error) -> {
                  if (error != null) {
                    // Triton answers a failed load or unload with 400; an unknown model stays a
                    // 404.
                    int status = ErrorStatus.httpStatus(error) == 404 ? 404 : 400;
                    HttpReplies.sendError(ctx.response(), status, ErrorStatus.message(error));
                  } else {
                    HttpReplies.sendJson(
                        ctx.response(),
                        200,
                        json -> {
                          json.writeStartObject();
                          json.writeStringField("name", model);
                          json.writeBooleanField(load ? "load" : "unload", true);
                          json.writeEndObject();
                        });
                  }
                }));
  }

  private void statistics(RoutingContext ctx) {
    String asked = ctx.pathParam("model");
    String model;
    String version = ctx.pathParam("version");
    List<ModelStatisticsSnapshot> selected;
    try {
      if (asked == null) {
        selected =
            scope.models().stream().map(status -> engine.statistics(status.name(), null)).toList();
      } else {
        model = scope.resolve(asked);
        selected = List.of(engine.statistics(model, version));
      }
    } catch (SluiceException e) {
      HttpReplies.sendError(ctx.response(), e);
      return;
    }
    HttpReplies.sendJson(
        ctx.response(),
        200,
        json -> {
          json.writeStartObject();
          json.writeArrayFieldStart("model_stats");
          for (ModelStatisticsSnapshot stats : selected) {
            writeStatistics(json, stats);
          }
          json.writeEndArray();
          json.writeEndObject();
        });
  }

  private static void writeStatistics(JsonGenerator json, ModelStatisticsSnapshot stats)
      throws IOException {
    json.writeStartObject();
    json.writeStringField("name", stats.name());
    json.writeStringField("version", stats.version());
    json.writeNumberField("last_inference", stats.lastInferenceMillis());
    json.writeNumberField("inference_count", stats.inferenceCount());
    json.writeNumberField("execution_count", stats.executionCount());
    json.writeObjectFieldStart("inference_stats");
    writeDuration(json, "success", stats.success());
    writeDuration(json, "fail", stats.fail());
    writeDuration(json, "queue", stats.queue());
    writeDuration(json, "compute_input", stats.computeInput());
    writeDuration(json, "compute_infer", stats.computeInfer());
    writeDuration(json, "compute_output", stats.computeOutput());
    writeDuration(json, "cache_hit", ModelStatisticsSnapshot.Timing.NONE);
    writeDuration(json, "cache_miss", ModelStatisticsSnapshot.Timing.NONE);
    json.writeEndObject();
    json.writeArrayFieldStart("batch_stats");
    json.writeEndArray();
    json.writeEndObject();
  }

  private static void writeDuration(
      JsonGenerator json, String field, ModelStatisticsSnapshot.Timing stat) throws IOException {
    json.writeObjectFieldStart(field);
    json.writeNumberField("count", stat.count());
    json.writeNumberField("ns", stat.nanos());
    json.writeEndObject();
  }

  private static void booleanObject(JsonGenerator json, String field, boolean value)
      throws IOException {
    json.writeStartObject();
    json.writeBooleanField(field, value);
    json.writeEndObject();
  }

  /** Reads one optional boolean field of an optional JSON object body. */
  private static boolean readBooleanField(Buffer body, String field) {
    if (body == null || body.length() == 0) {
      return false;
    }
    try (JsonParser parser = JSON.createParser(body.getBytes())) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidInputException("the request body must be a JSON object");
      }
      boolean value = false;
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        JsonToken token = parser.nextToken();
        if (name.equals(field)) {
          if (token != JsonToken.VALUE_TRUE && token != JsonToken.VALUE_FALSE) {
            throw new InvalidInputException("\"" + field + "\" must be true or false");
          }
          value = token == JsonToken.VALUE_TRUE;
        } else {
          parser.skipChildren();
        }
      }
      return value;
    } catch (JsonParseException e) {
      throw new InvalidInputException("malformed JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidInputException("unreadable request: " + e.getMessage());
    }
  }
}
