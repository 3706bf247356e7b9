package io.sluice.protocol.kserve.grpc;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * A gRPC answer without a message: the status travels in the headers of an otherwise empty
 * response, as gRPC's trailers-only form allows. For calls refused before the gRPC server takes
 * them, and for calls answered without it ({@link ModelInferCalls}).
 */
public final class GrpcTrailersOnly {
  private GrpcTrailersOnly() {}

  public static void send(HttpServerResponse response, GrpcStatus status, String message) {
    response
        .putHeader("content-type", "application/grpc")
        .putHeader("grpc-status", Integer.toString(status.code))
        .putHeader(
            "grpc-message", URLEncoder.encode(message, StandardCharsets.UTF_8).replace("+", "%20"))
        .end();
  }
}
