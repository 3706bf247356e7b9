package io.sluice.protocol.kserve.grpc;

import com.google.protobuf.MessageLite;
import com.google.protobuf.MessageOrBuilder;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.RequestTimeoutException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.api.TensorMetadata;
import io.sluice.engine.client.EngineClient;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatus;
import io.sluice.http.ErrorStatus;
import io.sluice.http.ModelScope;
import io.sluice.http.RequestObserver;
import io.sluice.http.SluiceHeaders;
import io.sluice.protocol.kserve.ServerInfo;
import io.sluice.protocol.kserve.grpc.proto.ModelInferRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelMetadataRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelMetadataResponse;
import io.sluice.protocol.kserve.grpc.proto.ModelReadyRequest;
import io.sluice.protocol.kserve.grpc.proto.ModelReadyResponse;
import io.sluice.protocol.kserve.grpc.proto.RepositoryIndexRequest;
import io.sluice.protocol.kserve.grpc.proto.RepositoryIndexResponse;
import io.sluice.protocol.kserve.grpc.proto.RepositoryModelLoadRequest;
import io.sluice.protocol.kserve.grpc.proto.RepositoryModelLoadResponse;
import io.sluice.protocol.kserve.grpc.proto.RepositoryModelUnloadRequest;
import io.sluice.protocol.kserve.grpc.proto.RepositoryModelUnloadResponse;
import io.sluice.protocol.kserve.grpc.proto.ServerLiveRequest;
import io.sluice.protocol.kserve.grpc.proto.ServerLiveResponse;
import io.sluice.protocol.kserve.grpc.proto.ServerMetadataRequest;
import io.sluice.protocol.kserve.grpc.proto.ServerMetadataResponse;
import io.sluice.protocol.kserve.grpc.proto.ServerReadyRequest;
import io.sluice.protocol.kserve.grpc.proto.ServerReadyResponse;
import io.sluice.protocol.kserve.v2.RepositoryStates;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code inference.GRPCInferenceService}: the six core RPCs and the model repository RPCs. */
public final class V2GrpcService {
  private static final Logger log = LoggerFactory.getLogger(V2GrpcService.class);
  private static final ServiceName SERVICE =
      ServiceName.create("inference", "GRPCInferenceService");
  private static final String PROTOCOL = "v2-grpc";

  private final EngineClient engine;
  private final ServerInfo serverInfo;
  private final RequestObserver observer;

  public V2GrpcService(EngineClient engine, ServerInfo serverInfo, RequestObserver observer) {
    this.engine = engine;
    this.serverInfo = serverInfo;
    this.observer = observer;
  }

  /** The whole method table. */
  public void mount(GrpcServer server) {
    unary(
        server,
        "ServerLive",
        ServerLiveRequest.getDefaultInstance(),
        (ServerLiveRequest request) ->
            done(ServerLiveResponse.newBuilder().setLive(engine.isLive()).build()));
    unary(
        server,
        "ServerReady",
        ServerReadyRequest.getDefaultInstance(),
        (ServerReadyRequest request) ->
            done(ServerReadyResponse.newBuilder().setReady(engine.isReady()).build()));
    unaryWithMetadata(
        server,
        "ModelReady",
        ModelReadyRequest.getDefaultInstance(),
        (ModelReadyRequest request, MultiMap headers) ->
            done(
                ModelReadyResponse.newBuilder()
                    .setReady(
                        engine.isModelReady(
                            scope(headers).resolve(request.getName()), request.getVersion()))
                    .build()));
    unary(
        server,
        "ServerMetadata",
        ServerMetadataRequest.getDefaultInstance(),
        (ServerMetadataRequest request) ->
            done(
                ServerMetadataResponse.newBuilder()
                    .setName(serverInfo.name())
                    .setVersion(serverInfo.version())
                    .addAllExtensions(serverInfo.extensions())
                    .build()));
    unaryWithMetadata(
        server,
        "ModelMetadata",
        ModelMetadataRequest.getDefaultInstance(),
        (ModelMetadataRequest request, MultiMap headers) ->
            done(
                metadata(
                    engine.metadata(
                        scope(headers).resolve(request.getName()), request.getVersion()))));
    unaryWithMetadata(server, "ModelInfer", ModelInferRequest.getDefaultInstance(), this::infer);
    unary(server, "RepositoryIndex", RepositoryIndexRequest.getDefaultInstance(), this::index);
    unary(
        server,
        "RepositoryModelLoad",
        RepositoryModelLoadRequest.getDefaultInstance(),
        (RepositoryModelLoadRequest request) ->
            engine
                .load(request.getModelName())
                .thenApply(ignored -> RepositoryModelLoadResponse.getDefaultInstance()));
    unary(
        server,
        "RepositoryModelUnload",
        RepositoryModelUnloadRequest.getDefaultInstance(),
        (RepositoryModelUnloadRequest request) ->
            engine
                .unload(request.getModelName())
                .thenApply(ignored -> RepositoryModelUnloadResponse.getDefaultInstance()));
  }

  CompletionStage<MessageLite> infer(ModelInferRequest request, MultiMap headers) {
    long started = System.nanoTime();
    String model = request.getModelName();
    CompletableFuture<MessageLite> reply;
    try {
      String deployment = scope(headers).resolve(model);
      reply =
          engine
              .infer(
                  GrpcTensorCodec.decode(request)
                      .withModel(deployment)
                      .withVersionIfAbsent(headers.get(SluiceHeaders.MULTIPLEXED_MODEL_ID))
                      .withRevision(headers.get(SluiceHeaders.REVISION)))
              .thenApply(GrpcTensorCodec::encode);
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    return reply.whenComplete(
        (response, error) ->
            observer.observe(
                model,
                PROTOCOL,
                error == null ? "OK" : status(error).name(),
                System.nanoTime() - started));
  }

  /** {@code ModelInfer} calls answered without the gRPC server ({@link ModelInferCalls#takes}). */
  public ModelInferCalls modelInferCalls(long maxMessageSize) {
    return new ModelInferCalls(this, maxMessageSize);
  }

  /** The models a call addresses: its application's ({@link SluiceHeaders#APPLICATION}), or all. */
  private ModelScope scope(MultiMap headers) {
    String application = headers.get(SluiceHeaders.APPLICATION);
    return application == null
        ? ModelScope.global(engine)
        : ModelScope.application(engine, application);
  }

  private CompletionStage<MessageLite> index(RepositoryIndexRequest request) {
    RepositoryIndexResponse.Builder response = RepositoryIndexResponse.newBuilder();
    for (ModelStatus status : engine.index()) {
      if (request.getReady() && status.state() != ModelState.READY) {
        continue;
      }
      response.addModels(
          RepositoryIndexResponse.ModelIndex.newBuilder()
              .setName(status.name())
              .setVersion(status.version())
              .setState(RepositoryStates.wireName(status.state()))
              .setReason(status.reason()));
    }
    return done(response.build());
  }

  private static ModelMetadataResponse metadata(ModelMetadata metadata) {
    ModelMetadataResponse.Builder builder =
        ModelMetadataResponse.newBuilder()
            .setName(metadata.name())
            .addAllVersions(metadata.versions())
            .setPlatform(metadata.platform());
    for (TensorMetadata input : metadata.inputs()) {
      builder.addInputs(tensor(input));
    }
    for (TensorMetadata output : metadata.outputs()) {
      builder.addOutputs(tensor(output));
    }
    return builder.build();
  }

  private static ModelMetadataResponse.TensorMetadata tensor(TensorMetadata tensor) {
    ModelMetadataResponse.TensorMetadata.Builder builder =
        ModelMetadataResponse.TensorMetadata.newBuilder()
            .setName(tensor.name())
            .setDatatype(tensor.datatype().name());
    for (long dim : tensor.shape()) {
      builder.addShape(dim);
    }
    return builder.build();
  }

  private static CompletionStage<MessageLite> done(MessageLite message) {
    return CompletableFuture.completedFuture(message);
  }

  private <Req> void unary(
      GrpcServer server,
      String method,
      MessageOrBuilder prototype,
      Function<Req, CompletionStage<MessageLite>> handler) {
    unaryWithMetadata(
        server, method, prototype, (Req request, MultiMap headers) -> handler.apply(request));
  }

  /** A unary method whose handler also sees the call's metadata (gRPC headers). */
  @SuppressWarnings("unchecked")
  private <Req> void unaryWithMetadata(
      GrpcServer server,
      String method,
      MessageOrBuilder prototype,
      BiFunction<Req, MultiMap, CompletionStage<MessageLite>> handler) {
    ServiceMethod<Req, MessageLite> serviceMethod =
        ServiceMethod.server(
            SERVICE, method, GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(prototype));
    server.callHandler(
        serviceMethod,
        call -> {
          boolean[] received = {false};
          // A message cut short by the end of the stream, or one that cannot be decoded, never
          // reaches the
          // handler: without these the call would wait for ever.
          call.invalidMessageHandler(
              invalid -> {
                received[0] = true;
                refuse(
                    call.response(),
                    invalid instanceof MessageSizeOverflowException
                        ? GrpcStatus.RESOURCE_EXHAUSTED
                        : GrpcStatus.INVALID_ARGUMENT,
                    "the request message is invalid: " + invalid.getMessage());
              });
          call.exceptionHandler(
              failure -> {
                if (!received[0]) {
                  received[0] = true;
                  refuse(
                      call.response(),
                      GrpcStatus.INVALID_ARGUMENT,
                      "the request message is unreadable: " + failure.getMessage());
                }
              });
          call.endHandler(
              ended -> {
                if (!received[0]) {
                  refuse(
                      call.response(),
                      GrpcStatus.INVALID_ARGUMENT,
                      "the call ended without a complete request message");
                }
              });
          call.handler(
              message -> {
                received[0] = true;
                answer(call, message, method, handler);
              });
        });
  }

  /**
   * Runs the method's handler on a request message and ends the call with its reply or its error's
   * status.
   */
  private static <Req> void answer(
      GrpcServerRequest<Req, MessageLite> call,
      Req message,
      String method,
      BiFunction<Req, MultiMap, CompletionStage<MessageLite>> handler) {
    Context context = Vertx.currentContext();
    GrpcServerResponse<Req, MessageLite> response = call.response();
    CompletionStage<MessageLite> reply;
    try {
      reply = handler.apply(message, call.headers());
    } catch (RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    CompletableFuture<MessageLite> pending = reply.toCompletableFuture();
    call.errorHandler(error -> pending.cancel(false)); // the client cancelled or reset the stream
    reply.whenComplete(
        (result, error) ->
            context.runOnContext(
                ignored -> {
                  if (error == null) {
                    response.end(result);
                  } else {
                    response
                        .status(failureStatus(method, error))
                        .statusMessage(ErrorStatus.message(error))
                        .end();
                  }
                }));
  }

  private static void refuse(GrpcServerResponse<?, ?> response, GrpcStatus status, String message) {
    try {
      response.status(status).statusMessage(message).end();
    } catch (IllegalStateException alreadyEnded) {
      // the call was answered or reset meanwhile
    }
  }

  /** The status a failed call ends with; a failure with no message of its own is logged first. */
  static GrpcStatus failureStatus(String method, Throwable error) {
    GrpcStatus status = status(error);
    if (status == GrpcStatus.INTERNAL
        && ErrorStatus.message(error).equals("internal server error")) {
      log.error("gRPC {} failed", method, ErrorStatus.unwrap(error));
    }
    return status;
  }

  static GrpcStatus status(Throwable error) {
    Throwable cause = ErrorStatus.unwrap(error);
    if (cause instanceof InvalidInputException) {
      return GrpcStatus.INVALID_ARGUMENT;
    }
    if (cause instanceof ModelNotFoundException) {
      return GrpcStatus.NOT_FOUND;
    }
    if (cause instanceof ModelNotReadyException || cause instanceof ServerOverloadedException) {
      return GrpcStatus.UNAVAILABLE;
    }
    if (cause instanceof RequestTimeoutException) {
      return GrpcStatus.DEADLINE_EXCEEDED;
    }
    return GrpcStatus.INTERNAL;
  }
}
