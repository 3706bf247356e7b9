package io.sluice.server.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.events.EventJournal;
import io.sluice.http.HttpReplies;
import io.sluice.server.admin.AdminAccess;
import io.sluice.server.admin.StatusReport;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web dashboard at {@code /dashboard}: the page and the front-end libraries it is built from
 * (uPlot and Preact, npm packages taken from their WebJars and served from the jar, so nothing
 * comes from the internet), and {@code /dashboard/stream}, a server-sent-events stream of the
 * status report, a metric sample every second and each engine event. Reading needs no token (the
 * admin API's network rule still holds); the page's actions call the admin API with the token the
 * user types in.
 */
public final class DashboardRoutes {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int RECENT_EVENTS = 200;

  private final Vertx vertx;
  private final StatusReport status;
  private final MetricSampler sampler;
  private final EventJournal journal;
  private final AdminAccess access;
  private final Map<String, StaticFile> files = new LinkedHashMap<>();
  private final Set<Viewer> viewers = ConcurrentHashMap.newKeySet();

  private record StaticFile(Buffer content, String contentType) {}

  public DashboardRoutes(
      Vertx vertx,
      StatusReport status,
      MetricSampler sampler,
      EventJournal journal,
      AdminAccess access) {
    this.vertx = vertx;
    this.status = status;
    this.sampler = sampler;
    this.journal = journal;
    this.access = access;
    page("", "dashboard/index.html", "text/html; charset=utf-8");
    page("app.js", "dashboard/app.js", "text/javascript; charset=utf-8");
    page("dashboard.css", "dashboard/dashboard.css", "text/css; charset=utf-8");
    page(
        "vendor/uPlot.iife.min.js",
        webjar("uplot", "dist/uPlot.iife.min.js"),
        "text/javascript; charset=utf-8");
    page("vendor/uPlot.min.css", webjar("uplot", "dist/uPlot.min.css"), "text/css; charset=utf-8");
    page(
        "vendor/preact.module.js",
        webjar("preact", "dist/preact.module.js"),
        "text/javascript; charset=utf-8");
    page(
        "vendor/hooks.module.js",
        webjar("preact", "hooks/dist/hooks.module.js"),
        "text/javascript; charset=utf-8");
    sampler.listen(this::broadcastSample);
    journal.listen(this::broadcastEvent);
  }

  public void mount(Router router) {
    router.route("/dashboard*").handler(this::allowViewer);
    router.get("/dashboard/stream").handler(this::stream);
    router.get("/dashboard*").handler(this::file);
  }

  private void allowViewer(RoutingContext ctx) {
    String refusal = access.viewRefusal(ctx.request().remoteAddress().hostAddress());
    if (refusal == null) {
      ctx.next();
    } else {
      HttpReplies.sendError(ctx.response(), 403, refusal);
    }
  }

  private void file(RoutingContext ctx) {
    String requested = ctx.request().path();
    if (requested.equals("/dashboard")) {
      ctx.response().setStatusCode(302).putHeader("location", "/dashboard/").end();
      return;
    }
    String path =
        requested.startsWith("/dashboard/")
            ? requested.substring("/dashboard/".length())
            : requested;
    StaticFile file = files.get(path);
    if (file == null) {
      HttpReplies.sendError(ctx.response(), 404, "no dashboard file '" + path + "'");
      return;
    }
    ctx.response()
        .putHeader("content-type", file.contentType())
        .putHeader("cache-control", "no-cache")
        .putHeader("x-content-type-options", "nosniff")
        .end(file.content());
  }

  /**
   * The stream: {@code history} (the kept samples and recent events) and {@code status} at once,
   * then a {@code sample} with the status every second and an {@code event} for each engine event.
   * A viewer too slow to take them misses samples rather than holding them in memory.
   */
  private void stream(RoutingContext ctx) {
    HttpServerResponse response = ctx.response();
    response
        .setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no");
    ObjectNode history = MAPPER.createObjectNode();
    ArrayNode samples = history.putArray("samples");
    sampler.history().forEach(samples::add);
    ArrayNode events = history.putArray("events");
    List<EngineEvent> recent = journal.since(0);
    recent
        .subList(Math.max(0, recent.size() - RECENT_EVENTS), recent.size())
        .forEach(e -> events.add(event(e)));
    response.write(frame("history", history));
    response.write(frame("status", status.report()));
    Viewer viewer = new Viewer(vertx.getOrCreateContext(), response);
    viewers.add(viewer);
    response.closeHandler(v -> viewers.remove(viewer));
    response.exceptionHandler(e -> viewers.remove(viewer));
  }

  /** One open stream and the event-loop context its writes belong on. */
  private record Viewer(Context context, HttpServerResponse response) {}

  /**
   * Builds a sample's frame once, on the sampling thread (the status report and the JSON stay off
   * the event loops), and hands it to every viewer; one too slow to take it skips it.
   */
  private void broadcastSample(ObjectNode sample) {
    if (viewers.isEmpty()) {
      return;
    }
    ObjectNode message = MAPPER.createObjectNode();
    message.set("sample", sample);
    message.set("status", status.report());
    String frame = frame("sample", message);
    for (Viewer viewer : viewers) {
      viewer
          .context()
          .runOnContext(
              v -> {
                if (viewers.contains(viewer) && !viewer.response().writeQueueFull()) {
                  viewer.response().write(frame);
                }
              });
    }
  }

  private void broadcastEvent(EngineEvent event) {
    if (viewers.isEmpty()) {
      return;
    }
    String frame = frame("event", event(event));
    for (Viewer viewer : viewers) {
      viewer
          .context()
          .runOnContext(
              v -> {
                if (viewers.contains(viewer)) {
                  viewer.response().write(frame);
                }
              });
    }
  }

  private static ObjectNode event(EngineEvent event) {
    ObjectNode node = MAPPER.createObjectNode();
    node.put("sequence", event.sequence());
    node.put("t", event.epochMillis());
    node.put("kind", event.kind().name());
    if (event.deployment() != null) {
      node.put("deployment", event.deployment());
    }
    node.put("message", event.message());
    return node;
  }

  private static String frame(String event, ObjectNode data) {
    try {
      return "event: " + event + "\ndata: " + MAPPER.writeValueAsString(data) + "\n\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private void page(String path, String resource, String contentType) {
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "the dashboard's " + resource + " is missing from the class path");
      }
      files.put(path, new StaticFile(Buffer.buffer(in.readAllBytes()), contentType));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A file of an npm package's WebJar, at the version on the class path. */
  private static String webjar(String name, String path) {
    String properties = "META-INF/maven/org.webjars.npm/" + name + "/pom.properties";
    try (InputStream in = DashboardRoutes.class.getClassLoader().getResourceAsStream(properties)) {
      if (in == null) {
        throw new IllegalStateException("the WebJar " + name + " is missing from the class path");
      }
      Properties pom = new Properties();
      pom.load(in);
      return "META-INF/resources/webjars/" + name + "/" + pom.getProperty("version") + "/" + path;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
