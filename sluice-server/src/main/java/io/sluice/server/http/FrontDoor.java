package io.sluice.server.http;

import io.sluice.engine.Engine;
import io.sluice.engine.placement.Placer;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.ModelScope;
import io.sluice.http.SluiceHeaders;
import io.sluice.protocol.anthropic.AnthropicProtocol;
import io.sluice.protocol.kserve.KServeProtocol;
import io.sluice.protocol.kserve.ServerInfo;
import io.sluice.protocol.kserve.grpc.ModelInferCalls;
import io.sluice.protocol.kserve.v2.V2RestRoutes;
import io.sluice.protocol.openai.OpenAiProtocol;
import io.sluice.server.access.ApiKeys;
import io.sluice.server.access.RateLimits;
import io.sluice.server.admin.AdminAccess;
import io.sluice.server.admin.AdminRoutes;
import io.sluice.server.admin.StatusReport;
import io.sluice.server.config.ConfigApplier;
import io.sluice.server.config.ConfigLoader;
import io.sluice.server.config.FrontDoorSettings;
import io.sluice.server.config.ServerSettings;
import io.sluice.server.dashboard.DashboardRoutes;
import io.sluice.server.dashboard.MetricSampler;
import io.sluice.server.metrics.RequestMetrics;
import io.sluice.server.metrics.RevisionMetrics;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.nio.file.Path;

/**
 * The one request handler of the HTTP port: gRPC calls ({@code content-type: application/grpc*}) go
 * to the gRPC server, everything else through the REST route table, at the root and again under
 * each application's route prefix.
 */
public final class FrontDoor implements Handler<HttpServerRequest> {
  private static final String READDRESSED = "sluice.readdressed";

  /** One JSON line per request, when {@code server.accessLog} is on; else null. */
  private final AccessLog accessLog;

  private final KServeProtocol kserve;
  private final Router router;
  private final GrpcServer grpc;
  private final ModelInferCalls modelInferCalls;
  private final V2RestRoutes inferFastPath;
  private final long maxBody;
  private final ApiKeys serverKeys;
  private final RateLimits rateLimits;
  private final AccessGate gate;

  private final Mounts mounts;

  /** Set on a Kubernetes router; else null. */
  private volatile RequestAddressing addressing;

  public FrontDoor(
      Vertx vertx,
      Engine engine,
      ServerSettings settings,
      ServerInfo info,
      RequestMetrics metrics,
      AdminAccess admin,
      Placer placer,
      ConfigApplier applier,
      ConfigLoader loader,
      Path configDirectory) {
    this.kserve = new KServeProtocol(engine, info, metrics);
    OpenAiProtocol openAi = new OpenAiProtocol(engine, metrics);
    this.grpc = grpcServer(vertx, settings, kserve);
    this.modelInferCalls = kserve.modelInferCalls(settings.maxRequestBody());
    this.router = Router.router(vertx);
    this.mounts =
        new Mounts(vertx, engine, router, kserve, openAi, new AnthropicProtocol(engine, metrics));
    FrontDoorSettings.Auth auth = settings.frontDoor().auth();
    this.serverKeys = new ApiKeys(auth.apiKeys(), auth.apiKeysFile(), System::nanoTime);
    this.rateLimits = new RateLimits(settings.frontDoor().keyRateLimit(), System::nanoTime);
    this.gate =
        new AccessGate(
            auth,
            admin,
            serverKeys,
            rateLimits,
            path -> {
              Mounts.MountedApplication mounted = mounts.mountedAt(path);
              return mounted == null ? null : mounted.access();
            });
    mounts.onAccessChanged(gate::applicationsChanged);
    this.accessLog =
        settings.observability().accessLog()
            ? new AccessLog(
                path -> {
                  Mounts.MountedApplication mounted = mounts.mountedAt(path);
                  return mounted == null ? null : mounted.settings().name();
                })
            : null;
    if (accessLog != null) {
      vertx.setPeriodic(AccessLog.FLUSH_MILLIS, id -> accessLog.flush());
    }
    vertx.setPeriodic(60_000, id -> rateLimits.forgetIdle());
    if (rateLimits.limitsGenerations()) {
      router.route().handler(gate::limitGenerations);
    }
    // File uploads (audio for /v1/audio/transcriptions) go to a temporary directory and are deleted
    // when
    // the request ends.
    router
        .route()
        .handler(
            BodyHandler.create(true)
                .setBodyLimit(settings.maxRequestBody())
                .setUploadsDirectory(uploadsDirectory())
                .setDeleteUploadedFilesOnEnd(true));
    RevisionMetrics revisionMetrics = new RevisionMetrics(metrics.registry(), engine);
    router
        .get("/metrics")
        .handler(
            ctx -> {
              revisionMetrics.refresh();
              ctx.response()
                  .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                  .end(metrics.scrape());
            });
    new AdminRoutes(engine, applier, loader, configDirectory, admin, placer).mount(router);
    if (settings.observability().dashboard()) {
      MetricSampler sampler = new MetricSampler(engine, placer, metrics);
      vertx.setPeriodic(
          1000,
          id ->
              vertx.executeBlocking(
                  () -> {
                    sampler.sample();
                    return null;
                  },
                  false));
      new DashboardRoutes(
              vertx, new StatusReport(engine, applier, placer), sampler, engine.events(), admin)
          .mount(router);
    }
    this.inferFastPath = kserve.v2(ModelScope.global(engine));
    this.maxBody = settings.maxRequestBody();
    mounts.mountRoot();
    for (ServerSettings.ApplicationSettings application : settings.applications()) {
      mounts.added(application);
    }
    mounts.graphs(settings.graphs());
    mounts.pipelines(settings.pipelines());
    router.errorHandler(
        404,
        ctx ->
            HttpReplies.sendError(
                ctx.response(),
                404,
                "no route for " + ctx.request().method() + " " + ctx.request().path()));
    router.errorHandler(
        405,
        ctx ->
            HttpReplies.sendError(
                ctx.response(),
                405,
                ctx.request().method() + " is not allowed on " + ctx.request().path()));
    router.errorHandler(
        413,
        ctx ->
            HttpReplies.sendError(
                ctx.response(),
                413,
                "request body is larger than the limit of "
                    + settings.maxRequestBody()
                    + " bytes"));
    router.errorHandler(400, this::badRequest);
    router.errorHandler(
        500,
        ctx ->
            LastResort.answer(
                ctx.response(),
                ErrorShapes.forPath(ctx.request().path()),
                ctx.failure() != null
                    ? ctx.failure()
                    : new IllegalStateException("a route failed with status 500")));
  }

  private static String uploadsDirectory() {
    return Path.of(
            System.getProperty("java.io.tmpdir"), "sluice-uploads-" + ProcessHandle.current().pid())
        .toString();
  }

  /**
   * Routes requests by the address they were sent to as well as their paths (a Kubernetes router's
   * per-namespace names).
   */
  public synchronized void address(RequestAddressing addressing) {
    if (this.addressing == null) {
      // first of all the routes; servers that are not routers never pay for it
      router.route().order(-1).handler(this::readdress);
    }
    this.addressing = addressing;
  }

  /** Routes a REST request again under the path its address gives, once. */
  private void readdress(RoutingContext ctx) {
    String to =
        ctx.get(READDRESSED) != null
            ? null
            : addressing.route(host(ctx.request()), ctx.request().path());
    if (to == null) {
      ctx.next();
      return;
    }
    ctx.put(READDRESSED, true);
    String query = ctx.request().query();
    ctx.reroute(query == null ? to : to + "?" + query);
  }

  /**
   * A gRPC call, once admitted: {@code ModelInfer} straight from its stream, the rest to
   * vertx-grpc.
   */
  private void answerGrpc(HttpServerRequest request) {
    addressGrpc(request);
    if (ModelInferCalls.takes(request)) {
      modelInferCalls.answer(request);
    } else {
      grpc.handle(new GuardedGrpcRequest(request, maxBody));
    }
  }

  /**
   * Names the application a gRPC call's address means ({@link SluiceHeaders#APPLICATION}), in place
   * of whatever the client sent.
   */
  private void addressGrpc(HttpServerRequest request) {
    RequestAddressing current = addressing;
    if (current == null) {
      return;
    }
    String application = current.applicationOf(host(request));
    if (application == null) {
      request.headers().remove(SluiceHeaders.APPLICATION);
    } else {
      request.headers().set(SluiceHeaders.APPLICATION, application);
    }
  }

  private static String host(HttpServerRequest request) {
    return request.authority() == null ? null : request.authority().host();
  }

  /** What is mounted where; it follows configuration changes. */
  public Mounts mounts() {
    return mounts;
  }

  /** Writes out buffered access-log lines; the server calls it as it stops. */
  public void flushLogs() {
    if (accessLog != null) {
      accessLog.flush();
    }
  }

  /** A gRPC-only handler, for the optional separate gRPC port. */
  public Handler<HttpServerRequest> grpcOnly() {
    return request -> {
      try {
        if (accessLog != null) {
          accessLog.track(request, true);
        }
        if (gate.admit(request, true)) {
          answerGrpc(request);
        }
      } catch (RuntimeException | Error e) {
        LastResort.answer(request.response(), LastResort.V2, e);
      }
    };
  }

  @Override
  public void handle(HttpServerRequest request) {
    try {
      String id = request.getHeader(LastResort.REQUEST_ID);
      if (id != null && id.length() <= 128) {
        request.response().putHeader(LastResort.REQUEST_ID, id);
      }
      String contentType = request.getHeader("content-type");
      boolean grpcCall = contentType != null && contentType.startsWith("application/grpc");
      if (accessLog != null) {
        accessLog.track(request, grpcCall);
      }
      if (!gate.admit(request, grpcCall)) {
        return;
      }
      if (grpcCall) {
        answerGrpc(request);
      } else if (addressing != null || !inferFast(request)) {
        router.handle(request);
      }
    } catch (RuntimeException | Error e) {
      LastResort.answer(request.response(), ErrorShapes.forPath(request.path()), e);
    }
  }

  /**
   * {@code POST /v2/models/{m}/infer} with a Content-Length within the limit is answered without
   * the route table (routing and body handling cost a measurable share of a small inference);
   * everything else, including every error case of the path itself, goes through the router.
   */
  private boolean inferFast(HttpServerRequest request) {
    if (request.method() != io.vertx.core.http.HttpMethod.POST) {
      return false;
    }
    String path = request.path();
    if (!path.startsWith("/v2/models/") || !path.endsWith("/infer")) {
      return false;
    }
    String model = path.substring("/v2/models/".length(), path.length() - "/infer".length());
    String length = request.getHeader("content-length");
    if (model.isEmpty() || model.indexOf('/') >= 0 || length == null) {
      return false;
    }
    try {
      if (Long.parseLong(length) > maxBody) {
        return false;
      }
    } catch (NumberFormatException e) {
      return false;
    }
    request
        .body()
        .onSuccess(
            body ->
                LastResort.guard(
                    request.response(),
                    LastResort.V2,
                    () -> inferFastPath.infer(request, body, model, null)))
        .onFailure(
            error ->
                HttpReplies.sendError(
                    request.response(), 400, "unreadable body: " + error.getMessage()));
    return true;
  }

  private static GrpcServer grpcServer(
      Vertx vertx, ServerSettings settings, KServeProtocol kserve) {
    GrpcServer server =
        GrpcServer.server(
            vertx, new GrpcServerOptions().setMaxMessageSize(settings.maxRequestBody()));
    kserve.mount(server);
    return server;
  }

  private void badRequest(RoutingContext ctx) {
    String message =
        ctx.failure() == null ? "bad request" : "bad request: " + ctx.failure().getMessage();
    HttpReplies.sendError(ctx.response(), 400, message);
  }
}
