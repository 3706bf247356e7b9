package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * One OpenAI request from its first byte to its answer: the prologue every route shares (the JSON
 * body read, the model named and in the route's scope) and exactly one observation of how it ended.
 */
final class OpenAiCall {
  private final RoutingContext ctx;
  private final RequestObserver observer;
  private final String protocol;
  private final long started = System.nanoTime();
  private String model = "";

  OpenAiCall(RoutingContext ctx, RequestObserver observer, String protocol) {
    this.ctx = ctx;
    this.observer = observer;
    this.protocol = protocol;
  }

  /** The request's JSON object; invalid input when the body is not one. */
  JsonNode body() {
    return OpenAiBodies.object(ctx.body().buffer());
  }

  /**
   * The body's {@code model}, which must be given and in {@code scope}; observations name it from
   * now on.
   */
  String model(JsonNode body, ModelScope scope) {
    String named = body.path("model").asText(null);
    if (named == null) {
      throw new InvalidParameterException("model", null, "you must provide a model parameter");
    }
    model = named;
    return scope.resolve(named);
  }

  /** Names the model (or pipeline) for the observation, when it does not come from a JSON body. */
  void named(String model) {
    this.model = model == null ? "" : model;
  }

  HttpServerResponse response() {
    return ctx.response();
  }

  /** Answers a failure in OpenAI's shape, observes it and returns the status sent. */
  int fail(Throwable error) {
    int status = OpenAiErrors.send(ctx.response(), error);
    observe(status);
    return status;
  }

  void observe(int status) {
    observer.observe(model, protocol, Integer.toString(status), System.nanoTime() - started);
  }

  /**
   * A speech request that succeeded: seconds of audio heard ({@code in}) or spoken ({@code out}).
   */
  void audio(String direction, double seconds) {
    observer.audio(model, direction, seconds, System.nanoTime() - started);
  }
}
