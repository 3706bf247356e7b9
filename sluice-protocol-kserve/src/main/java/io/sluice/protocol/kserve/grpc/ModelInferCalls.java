package io.sluice.protocol.kserve.grpc;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.sluice.http.ErrorStatus;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * Uncompressed unary {@code ModelInfer} calls answered straight from their HTTP/2 stream, the way
 * the front door answers {@code POST /v2/models/{m}/infer} without its route table: one message
 * read into one buffer, one reply written as headers, message and trailers in a single write.
 * vertx-grpc's call objects, message queues and per-frame writes cost the hottest gRPC method about
 * a fifth of its throughput; every other call, and any compressed one, still goes through it.
 */
public final class ModelInferCalls {
  static final String PATH = "/inference.GRPCInferenceService/ModelInfer";
  private static final int PREFIX = 5;

  private final V2GrpcService service;
  private final long maxMessageSize;

  ModelInferCalls(V2GrpcService service, long maxMessageSize) {
    this.service = service;
    this.maxMessageSize = maxMessageSize;
  }

  /** Whether this is a call this class answers: the rest go to the gRPC server. */
  public static boolean takes(HttpServerRequest request) {
    if (request.version() != HttpVersion.HTTP_2
        || request.method() != HttpMethod.POST
        || !PATH.equals(request.path())) {
      return false;
    }
    String contentType = request.getHeader("content-type");
    String encoding = request.getHeader("grpc-encoding");
    return ("application/grpc".equals(contentType) || "application/grpc+proto".equals(contentType))
        && (encoding == null || "identity".equals(encoding));
  }

  /** Reads the call's request message, infers, and ends the call with the reply or its status. */
  public void answer(HttpServerRequest request) {
    new Call(request).start();
  }

  /** One call: its message as it arrives, then its answer. */
  private final class Call {
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private Buffer received = Buffer.buffer();
    private boolean dispatched;

    Call(HttpServerRequest request) {
      this.request = request;
      this.response = request.response();
    }

    void start() {
      request.handler(this::receive);
      request.endHandler(
          ended -> {
            if (!dispatched) {
              refuse(
                  GrpcStatus.INVALID_ARGUMENT, "the call ended without a complete request message");
            }
          });
      request.exceptionHandler(error -> received = null);
    }

    private void receive(Buffer data) {
      if (dispatched || received == null) {
        return; // a unary call has one message; anything after it is ignored, as vertx-grpc does
      }
      received.appendBuffer(data);
      if (received.length() < PREFIX) {
        return;
      }
      long length = received.getUnsignedInt(1);
      if (length > maxMessageSize) {
        dispatched = true;
        refuse(
            GrpcStatus.RESOURCE_EXHAUSTED,
            "a request message of "
                + length
                + " bytes is larger than the limit of "
                + maxMessageSize
                + " (server.maxRequestBody)");
        return;
      }
      if (received.length() < PREFIX + length) {
        return;
      }
      dispatched = true;
      if (received.getByte(0) != 0) {
        refuse(GrpcStatus.INTERNAL, "a compressed message on a call without grpc-encoding");
        return;
      }
      ModelInferRequest message;
      try {
        message = ModelInferRequest.parseFrom(received.getBytes(PREFIX, PREFIX + (int) length));
      } catch (InvalidProtocolBufferException e) {
        refuse(GrpcStatus.INVALID_ARGUMENT, "the request message is invalid: " + e.getMessage());
        return;
      }
      received = null;
      infer(message);
    }

    private void infer(ModelInferRequest message) {
      Context context = Vertx.currentContext();
      CompletableFuture<MessageLite> reply;
      try {
        reply = service.infer(message, request.headers()).toCompletableFuture();
      } catch (RuntimeException e) {
        reply = CompletableFuture.failedFuture(e);
      }
      CompletableFuture<MessageLite> pending = reply;
      response.closeHandler(closed -> pending.cancel(false)); // the client cancelled or reset it
      reply.whenComplete(
          (result, error) ->
              context.runOnContext(
                  ignored -> {
                    if (response.ended() || response.closed()) {
                      return;
                    }
                    Throwable failure = error;
                    if (failure == null) {
                      try {
                        send(result);
                        return;
                      } catch (RuntimeException e) {
                        failure = e;
                      }
                    }
                    GrpcTrailersOnly.send(
                        response,
                        V2GrpcService.failureStatus("ModelInfer", failure),
                        ErrorStatus.message(failure));
                  }));
    }

    private void send(MessageLite reply) {
      int size = reply.getSerializedSize();
      byte[] framed = new byte[PREFIX + size];
      framed[1] = (byte) (size >>> 24);
      framed[2] = (byte) (size >>> 16);
      framed[3] = (byte) (size >>> 8);
      framed[4] = (byte) size;
      try {
        CodedOutputStream out = CodedOutputStream.newInstance(framed, PREFIX, size);
        reply.writeTo(out);
        out.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      response
          .putHeader("content-type", "application/grpc")
          .putTrailer("grpc-status", "0")
          .end(Buffer.buffer(framed));
    }

    private void refuse(GrpcStatus status, String message) {
      received = null;
      if (!response.ended() && !response.closed()) {
        GrpcTrailersOnly.send(response, status, message);
      }
    }
  }
}
