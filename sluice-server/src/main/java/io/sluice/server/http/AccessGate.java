package io.sluice.server.http;

import io.sluice.http.HttpReplies;
import io.sluice.protocol.anthropic.AnthropicErrors;
import io.sluice.protocol.anthropic.AnthropicProtocol;
import io.sluice.protocol.kserve.grpc.GrpcTrailersOnly;
import io.sluice.protocol.openai.OpenAiErrors;
import io.sluice.server.access.ApiKeys;
import io.sluice.server.access.RateLimits;
import io.sluice.server.admin.AdminAccess;
import io.sluice.server.config.FrontDoorSettings;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.net.RFC3986;
import io.vertx.ext.web.RoutingContext;
import io.vertx.grpc.common.GrpcStatus;
import java.util.function.Function;

/**
 * Who may call the inference routes and how often: API keys (the server's, valid everywhere; an
 * application's, valid under its route prefix), request rates per key and per application, and
 * concurrent generations per key. Refusals are answered in the protocol of the route: 401/429 with
 * V2's or OpenAI's error body, or gRPC's {@code UNAUTHENTICATED}/{@code RESOURCE_EXHAUSTED}. Health
 * probes, {@code /metrics} (unless configured otherwise) and the admin API (which has its own
 * token) stay open. Loading and unloading through the V2 repository extension changes what every
 * client is served, so by default it takes the admin API's credentials, as Triton allows it only in
 * its explicit model-control mode.
 */
final class AccessGate {
  /** What the gate knows of the application a path belongs to. */
  record Application(String name, ApiKeys keys, FrontDoorSettings.RateLimit rateLimit) {}

  private static final String GRPC_SERVICE = "/inference.GRPCInferenceService/";

  private final FrontDoorSettings.Auth auth;
  private final AdminAccess admin;
  private final ApiKeys serverKeys;
  private final RateLimits rateLimits;
  private final Function<String, Application> applicationOfPath;
  private volatile boolean anyApplicationKeys;
  private volatile boolean anyApplicationRateLimit;

  AccessGate(
      FrontDoorSettings.Auth auth,
      AdminAccess admin,
      ApiKeys serverKeys,
      RateLimits rateLimits,
      Function<String, Application> applicationOfPath) {
    this.auth = auth;
    this.admin = admin;
    this.serverKeys = serverKeys;
    this.rateLimits = rateLimits;
    this.applicationOfPath = applicationOfPath;
  }

  /** Called when applications come and go: whether any of them has keys or a rate limit. */
  void applicationsChanged(boolean anyKeys, boolean anyRateLimit) {
    anyApplicationKeys = anyKeys;
    anyApplicationRateLimit = anyRateLimit;
  }

  /** Lets the request through, or answers it with the refusal and returns false. */
  boolean admit(HttpServerRequest request, boolean grpc) {
    if (auth.repositoryControlIsAdmin() && isRepositoryControl(request.path(), grpc)) {
      return admitAdministrator(request, grpc);
    }
    if (!serverKeys.required()
        && !anyApplicationKeys
        && !anyApplicationRateLimit
        && !rateLimits.limitsKeys()) {
      return true; // nothing to check: the common case costs four reads
    }
    String path = request.path();
    if (exempt(path, grpc)) {
      return true;
    }
    Application application = grpc ? null : applicationOfPath.apply(path);
    ApiKeys.Presented key = ApiKeys.present(presentedKey(request));
    boolean keysRequired =
        serverKeys.required()
            || (application == null ? anyApplicationKeys : application.keys().required());
    if (keysRequired
        && !(serverKeys.recognises(key)
            || (application != null && application.keys().recognises(key)))) {
      refuse(
          request,
          grpc,
          401,
          key == null
              ? "an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"
              : "the API key is not valid",
          0);
      return false;
    }
    if (key != null && rateLimits.limitsKeys()) {
      long wait = rateLimits.takeForKey(key.fingerprint());
      if (wait > 0) {
        refuse(request, grpc, 429, "rate limit of this API key exceeded (server.rateLimit)", wait);
        return false;
      }
    }
    if (application != null) {
      long wait = rateLimits.takeForApplication(application.name(), application.rateLimit());
      if (wait > 0) {
        refuse(
            request,
            grpc,
            429,
            "rate limit of application '" + application.name() + "' exceeded",
            wait);
        return false;
      }
    }
    return true;
  }

  /**
   * The admin token is not an API key: a repository change is judged by the admin API's rules
   * alone.
   */
  private boolean admitAdministrator(HttpServerRequest request, boolean grpc) {
    String refusal = admin.refusal(request);
    if (refusal == null) {
      return true;
    }
    refuse(
        request,
        grpc,
        AdminAccess.isForbidden(refusal) ? 403 : 401,
        "loading and unloading models is administrative "
            + "(server.auth.repositoryControl): "
            + refusal.replace("the admin API only", "it only"),
        0);
    return false;
  }

  /**
   * V2 repository load and unload, under any route prefix, over REST or gRPC. REST paths are judged
   * as the router matches them: normalized as it normalizes them (percent-encoded letters decoded,
   * dot segments removed), and with or without a trailing slash.
   */
  static boolean isRepositoryControl(String rawPath, boolean grpc) {
    if (grpc) {
      return rawPath.equals(GRPC_SERVICE + "RepositoryModelLoad")
          || rawPath.equals(GRPC_SERVICE + "RepositoryModelUnload");
    }
    // Only '%' escapes and '.' segments change under normalization; most paths have neither and
    // skip it.
    String path =
        rawPath.indexOf('%') < 0 && rawPath.indexOf('.') < 0
            ? rawPath
            : RFC3986.normalizePath(rawPath);
    while (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return (path.endsWith("/load") || path.endsWith("/unload"))
        && path.contains("/v2/repository/models/");
  }

  /**
   * Router step for text generation: holds one of the key's concurrent generations until the answer
   * ends, or answers 429 when all are taken.
   */
  void limitGenerations(RoutingContext ctx) {
    String key = presentedKey(ctx.request());
    if (key == null || !isGeneration(ctx.request().path())) {
      ctx.next();
      return;
    }
    String fingerprint = ApiKeys.fingerprint(key);
    if (!rateLimits.generationStarted(fingerprint)) {
      refuse(
          ctx.request(),
          false,
          429,
          "this API key already runs its most concurrent generations "
              + "(server.rateLimit.maxConcurrentGenerations)",
          1_000_000_000L);
      return;
    }
    ctx.addEndHandler(ended -> rateLimits.generationEnded(fingerprint));
    ctx.next();
  }

  private static boolean isGeneration(String path) {
    return path.endsWith("/chat/completions")
        || path.endsWith("/v1/completions")
        || path.endsWith("/generate")
        || path.endsWith("/generate_stream");
  }

  private boolean exempt(String path, boolean grpc) {
    if (grpc) {
      return !auth.protectHealth()
          && (path.equals(GRPC_SERVICE + "ServerLive")
              || path.equals(GRPC_SERVICE + "ServerReady"));
    }
    if (path.startsWith("/api/")) {
      return true; // the admin API checks its own token
    }
    if (path.equals("/metrics")) {
      return !auth.protectMetrics();
    }
    return !auth.protectHealth()
        && (path.endsWith("/v2/health/live") || path.endsWith("/v2/health/ready"));
  }

  /**
   * {@code Authorization: Bearer <key>} (OpenAI, Cohere, Triton clients) or {@code x-api-key:
   * <key>}.
   */
  static String presentedKey(HttpServerRequest request) {
    String authorization = request.getHeader("authorization");
    if (authorization != null
        && authorization.length() > 7
        && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).strip();
    }
    return request.getHeader("x-api-key");
  }

  private static void refuse(
      HttpServerRequest request, boolean grpc, int status, String message, long retryNanos) {
    HttpServerResponse response = request.response();
    if (retryNanos > 0) {
      response.putHeader(
          "Retry-After", Long.toString(Math.max(1, (retryNanos + 999_999_999L) / 1_000_000_000L)));
    }
    if (grpc) {
      GrpcTrailersOnly.send(
          response,
          switch (status) {
            case 401 -> GrpcStatus.UNAUTHENTICATED;
            case 403 -> GrpcStatus.PERMISSION_DENIED;
            default -> GrpcStatus.RESOURCE_EXHAUSTED;
          },
          message);
      return;
    }
    if (status == 401) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    if (AnthropicProtocol.owns(request.path())) {
      AnthropicErrors.BODY.send(response, status, message);
    } else if (ErrorShapes.isOpenAi(request.path())) {
      OpenAiErrors.send(
          response,
          status,
          message,
          null,
          status == 401 ? "invalid_api_key" : "rate_limit_exceeded");
    } else {
      HttpReplies.sendError(response, status, message);
    }
  }
}
