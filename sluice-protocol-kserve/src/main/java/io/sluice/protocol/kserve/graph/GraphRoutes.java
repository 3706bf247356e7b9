package io.sluice.protocol.kserve.graph;

import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.SluiceException;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.RequestObserver;
import io.sluice.protocol.kserve.v2.DecodedInferRequest;
import io.sluice.protocol.kserve.v2.V2RequestDecoder;
import io.sluice.protocol.kserve.v2.V2ResponseEncoder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One inference graph at its route prefix, as KServe serves an InferenceGraph: {@code POST} a V2
 * inference request (JSON, or JSON with binary tensor data) to the prefix itself or to {@code
 * /v2/models/{graph}/infer} under it; the answer is the V2 response of the graph's last node, named
 * after the graph. A step's failure answers the status of its cause with the step named in the
 * message.
 */
public final class GraphRoutes {
  private static final String PROTOCOL = "graph";

  private final String name;
  private final Function<InferRequest, CompletableFuture<InferResponse>> graph;
  private final RequestObserver observer;

  /**
   * @param name the graph's name, which is also the model name its requests carry
   * @param graph runs the graph as currently configured (a reapplied configuration may change it)
   */
  public GraphRoutes(
      String name,
      Function<InferRequest, CompletableFuture<InferResponse>> graph,
      RequestObserver observer) {
    this.name = name;
    this.graph = graph;
    this.observer = observer;
  }

  /**
   * Mounts the graph's routes under {@code prefix}; the routes are returned so that they can be
   * removed.
   */
  public List<Route> mount(Router router, String prefix) {
    return List.of(
        router.post(prefix).handler(ctx -> infer(ctx, name)),
        router.post(prefix + "/").handler(ctx -> infer(ctx, name)),
        router
            .post(prefix + "/v2/models/:model/infer")
            .handler(ctx -> infer(ctx, ctx.pathParam("model"))));
  }

  private void infer(RoutingContext ctx, String model) {
    long started = System.nanoTime();
    HttpServerResponse response = ctx.response();
    DecodedInferRequest decoded;
    try {
      if (!name.equals(model)) {
        throw new ModelNotFoundException(
            "this route serves graph '" + name + "', not '" + model + "'");
      }
      Buffer body = ctx.body().buffer();
      String headerLength = ctx.request().getHeader("Inference-Header-Content-Length");
      decoded =
          V2RequestDecoder.decode(
              name,
              null,
              body == null ? new byte[0] : body.getBytes(),
              headerLength == null ? null : parseLength(headerLength),
              () -> {
                throw new InvalidInputException(
                    "a graph takes a V2 inference request with named inputs, not a raw body");
              });
    } catch (SluiceException e) {
      observer.observe(
          name,
          PROTOCOL,
          Integer.toString(HttpReplies.sendError(response, e)),
          System.nanoTime() - started);
      return;
    }
    CompletableFuture<InferResponse> run = graph.apply(decoded.request());
    response.closeHandler(closed -> run.cancel(false));
    run.whenComplete(
        LastResort.guarded(
            response,
            LastResort.V2,
            (result, error) -> {
              int status = 200;
              if (error != null) {
                status = HttpReplies.sendError(response, error);
              } else {
                V2ResponseEncoder.encode(result, decoded.outputEncoding()).sendTo(response);
              }
              observer.observe(
                  name, PROTOCOL, Integer.toString(status), System.nanoTime() - started);
            }));
  }

  private static Integer parseLength(String value) {
    try {
      return Integer.valueOf(value.strip());
    } catch (NumberFormatException e) {
      throw new InvalidInputException(
          "Inference-Header-Content-Length must be a number, got '" + value + "'");
    }
  }
}
