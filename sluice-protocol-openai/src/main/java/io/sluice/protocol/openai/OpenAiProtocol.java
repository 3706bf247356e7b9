package io.sluice.protocol.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.ModelStatus;
import io.sluice.http.ModelListing;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.pipelines.PipelineSpec;
import io.sluice.pipelines.rag.RagPipeline;
import io.sluice.pipelines.rag.RagSpec;
import io.sluice.pipelines.voice.VoicePipeline;
import io.sluice.pipelines.voice.VoiceSpec;
import io.sluice.protocol.openai.realtime.RealtimeRoutes;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.util.List;

/**
 * The OpenAI-compatible API (and the routes of vLLM and Cohere that its clients use beside it),
 * mounted where the server asks; also the pipelines, whose routes speak OpenAI's shapes.
 */
public final class OpenAiProtocol {
  private final EngineClient engine;
  private final RequestObserver observer;
  private final long startedSeconds = System.currentTimeMillis() / 1000;

  /** Stored Responses API answers, shared by every mount of the routes. */
  private final ResponseStore responses =
      new ResponseStore(RESPONSES_KEPT, RESPONSES_TTL, System::nanoTime);

  private static final int RESPONSES_KEPT = 10_000;
  private static final java.time.Duration RESPONSES_TTL = java.time.Duration.ofHours(1);

  public OpenAiProtocol(EngineClient engine, RequestObserver observer) {
    this.engine = engine;
    this.observer = observer;
  }

  /**
   * Every OpenAI route for the models in {@code scope}, all but the model list shared with KServe
   * V1.
   */
  public void mount(Router router, ModelScope scope) {
    new OpenAiRoutes(engine, scope, observer).mount(router);
    new AudioRoutes(engine, scope, observer).mount(router);
    new ChatRoutes(engine, scope, observer).mount(router);
    new ResponsesRoutes(engine, scope, observer, responses).mount(router);
    new TokenizeRoutes(engine, scope, observer).mount(router);
    new RerankRoutes(engine, scope, observer).mount(router);
  }

  /**
   * OpenAI's fields of the shared {@code GET /v1/models} answers: a list object and model objects.
   */
  public ModelListing.Fields modelListFields() {
    return new ModelListing.Fields() {
      @Override
      public void list(JsonGenerator json, List<ModelStatus> models) throws IOException {
        json.writeStringField("object", "list");
        json.writeArrayFieldStart("data");
        for (ModelStatus model : models) {
          json.writeStartObject();
          model(json, model.name());
          json.writeEndObject();
        }
        json.writeEndArray();
      }

      @Override
      public void model(JsonGenerator json, String model) throws IOException {
        json.writeStringField("id", model);
        json.writeStringField("object", "model");
        json.writeNumberField("created", startedSeconds);
        json.writeStringField("owned_by", "sluice");
      }
    };
  }

  /**
   * A pipeline at its route prefix; the routes are returned so that they can be removed. A
   * retrieval chat starts building its document index now, in the background.
   */
  public List<Route> mountPipeline(Router router, PipelineSpec pipeline) {
    return switch (pipeline) {
      case VoiceSpec voice -> {
        VoicePipeline spoken = new VoicePipeline(engine, voice);
        List<Route> routes = new java.util.ArrayList<>();
        routes.addAll(new VoiceRoutes(spoken, observer).mount(router, voice.routePrefix()));
        routes.addAll(new RealtimeRoutes(spoken, engine).mount(router, voice.routePrefix()));
        yield routes;
      }
      case RagSpec rag -> {
        RagPipeline retrieval = new RagPipeline(engine, rag);
        retrieval.warm();
        yield new RetrievalChatRoutes(retrieval, engine, observer).mount(router, rag.routePrefix());
      }
      default -> throw new IllegalArgumentException("unknown pipeline " + pipeline);
    };
  }
}
