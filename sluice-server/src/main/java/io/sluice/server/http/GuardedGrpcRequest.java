package io.sluice.server.http;

import io.sluice.protocol.kserve.grpc.GrpcTrailersOnly;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;
import io.vertx.grpc.common.GrpcStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC call whose body handling cannot leave it hanging: if reading the body throws (vertx-grpc
 * 5.0.7 throws {@code UnsupportedOperationException} for a message flagged compressed on a call
 * without {@code grpc-encoding}, and then never answers), the call ends with {@code INTERNAL} and
 * the rest of its body is ignored. Found by the wire fuzzer (WireFuzzTest). A gzip call's messages
 * are inflated here, within the size limit ({@link GrpcInflater}); one too large ends the call with
 * {@code RESOURCE_EXHAUSTED}.
 */
final class GuardedGrpcRequest extends HttpServerRequestWrapper {
  private static final Logger log = LoggerFactory.getLogger(GuardedGrpcRequest.class);
  private final GrpcInflater inflater;
  private boolean failed;

  GuardedGrpcRequest(HttpServerRequest request, long maxMessageSize) {
    super((HttpServerRequestInternal) request);
    this.inflater =
        "gzip".equalsIgnoreCase(request.getHeader("grpc-encoding"))
            ? new GrpcInflater(maxMessageSize)
            : null;
  }

  @Override
  public HttpServerRequest handler(Handler<Buffer> handler) {
    return super.handler(
        handler == null
            ? null
            : data -> {
              if (failed) {
                return;
              }
              try {
                Buffer messages = inflater == null ? data : inflater.accept(data);
                if (messages.length() > 0) {
                  handler.handle(messages);
                }
              } catch (RuntimeException e) {
                failed = true;
                fail(e);
              }
            });
  }

  private void fail(RuntimeException e) {
    log.debug("gRPC call {} could not be read: {}", path(), e.toString());
    HttpServerResponse response = response();
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      response.reset();
      return;
    }
    if (e instanceof GrpcInflater.MessageTooLargeException) {
      GrpcTrailersOnly.send(response, GrpcStatus.RESOURCE_EXHAUSTED, e.getMessage());
    } else {
      GrpcTrailersOnly.send(
          response, GrpcStatus.INTERNAL, "the request message cannot be read: " + e.getMessage());
    }
  }
}
