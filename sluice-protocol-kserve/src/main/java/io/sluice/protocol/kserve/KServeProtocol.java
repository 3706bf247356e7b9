package io.sluice.protocol.kserve;

import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.engine.client.EngineClient;
import io.sluice.http.ModelListing;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.protocol.kserve.graph.GraphRoutes;
import io.sluice.protocol.kserve.grpc.ModelInferCalls;
import io.sluice.protocol.kserve.grpc.V2GrpcService;
import io.sluice.protocol.kserve.v1.V1RestRoutes;
import io.sluice.protocol.kserve.v2.V2RestRoutes;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.grpc.server.GrpcServer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * KServe's protocols, V2 / Open Inference (REST and gRPC) and V1, mounted where the server asks.
 */
public final class KServeProtocol {
  private final EngineClient engine;
  private final ServerInfo info;
  private final RequestObserver observer;

  public KServeProtocol(EngineClient engine, ServerInfo info, RequestObserver observer) {
    this.engine = engine;
    this.info = info;
    this.observer = observer;
  }

  /**
   * V2 and V1 REST for the models in {@code scope}, all but the model list that V1 shares with
   * OpenAI.
   */
  public void mount(Router router, ModelScope scope) {
    new V2RestRoutes(engine, scope, info, observer).mount(router);
    new V1RestRoutes(engine, scope, observer).mount(router);
  }

  /** V1's fields of the shared {@code GET /v1/models} answers. */
  public ModelListing.Fields modelListFields() {
    return V1RestRoutes.MODEL_FIELDS;
  }

  /** V2 gRPC; a gRPC call names no application, so it sees every model. */
  public void mount(GrpcServer server) {
    new V2GrpcService(engine, info, observer).mount(server);
  }

  /** V2 gRPC {@code ModelInfer} calls the front door answers without the gRPC server. */
  public ModelInferCalls modelInferCalls(long maxMessageSize) {
    return new V2GrpcService(engine, info, observer).modelInferCalls(maxMessageSize);
  }

  /**
   * The V2 REST routes of a scope, for a server that answers some requests without its route table.
   */
  public V2RestRoutes v2(ModelScope scope) {
    return new V2RestRoutes(engine, scope, info, observer);
  }

  /**
   * An inference graph at {@code prefix}, answering V2 requests named {@code name}; the routes, for
   * removal.
   */
  public List<Route> mountGraph(
      Router router,
      String prefix,
      String name,
      Function<InferRequest, CompletableFuture<InferResponse>> graph) {
    return new GraphRoutes(name, graph, observer).mount(router, prefix);
  }
}
