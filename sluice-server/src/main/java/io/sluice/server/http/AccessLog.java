package io.sluice.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.http.LastResort;
import io.sluice.http.SluiceHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Structured access logs: one JSON line per answered request on standard output (where container
 * log collectors read; every other log line goes to standard error), with the request id (the
 * client's {@code x-request-id}, else one generated and sent back), method, path, protocol,
 * application its path prefix routes to, the model the path names (V1 and V2; OpenAI's and gRPC's
 * name it in the body, which is not read again for the log), the revision that answered (V2 REST
 * inference), status (and gRPC status), duration and bytes in and out. API keys and bodies are
 * never logged.
 */
final class AccessLog {
  private static final JsonFactory JSON = new JsonFactory();
  private static final Pattern MODEL_IN_PATH = Pattern.compile("/v[12]/models/([^/:]+)");

  static final long FLUSH_MILLIS = 200;

  private final Function<String, String> applicationOf;

  /**
   * Standard output behind a 64 KiB buffer flushed every {@value #FLUSH_MILLIS} ms and at close: at
   * tens of thousands of requests a second, a system call per line is a measurable share of the
   * work.
   */
  private final PrintStream out =
      new PrintStream(new BufferedOutputStream(System.out, 1 << 16), false, StandardCharsets.UTF_8);

  /**
   * @param applicationOf the application a request path routes to, or null
   */
  AccessLog(Function<String, String> applicationOf) {
    this.applicationOf = applicationOf;
  }

  /** Writes out what the buffer holds. */
  void flush() {
    out.flush();
  }

  /** Logs {@code request} once its response has been sent; gives it a request id if it has none. */
  void track(HttpServerRequest request, boolean grpc) {
    long started = System.nanoTime();
    HttpServerResponse response = request.response();
    String id = response.headers().get(LastResort.REQUEST_ID);
    if (id == null) {
      // Not UUID.randomUUID(): its SecureRandom is one lock for every event loop, and an id needs
      // no secrecy.
      ThreadLocalRandom random = ThreadLocalRandom.current();
      id =
          HexFormat.of().toHexDigits(random.nextLong())
              + HexFormat.of().toHexDigits(random.nextLong());
      response.putHeader(LastResort.REQUEST_ID, id);
    }
    String requestId = id;
    response.endHandler(
        ended -> write(request, response, requestId, grpc, System.nanoTime() - started));
  }

  private void write(
      HttpServerRequest request, HttpServerResponse response, String id, boolean grpc, long nanos) {
    StringWriter line = new StringWriter(256);
    try (JsonGenerator json = JSON.createGenerator(line)) {
      json.writeStartObject();
      json.writeStringField("time", Instant.now().toString());
      json.writeStringField("requestId", id);
      json.writeStringField("method", request.method().name());
      json.writeStringField("path", request.path());
      json.writeStringField(
          "protocol",
          grpc
              ? "grpc"
              : request.version() == io.vertx.core.http.HttpVersion.HTTP_2 ? "h2" : "http/1.1");
      String application = applicationOf.apply(request.path());
      if (application != null) {
        json.writeStringField("application", application);
      }
      Matcher model = MODEL_IN_PATH.matcher(request.path());
      if (model.find()) {
        json.writeStringField("model", model.group(1));
      }
      String revision = response.headers().get(SluiceHeaders.REVISION);
      if (revision != null) {
        json.writeStringField("revision", revision);
      }
      json.writeNumberField("status", response.getStatusCode());
      String grpcStatus = response.trailers().get("grpc-status");
      if (grpcStatus == null) {
        grpcStatus = response.headers().get("grpc-status");
      }
      if (grpc && grpcStatus != null) {
        json.writeStringField("grpcStatus", grpcStatus);
      }
      json.writeNumberField("durationMs", Math.round(nanos / 1e3) / 1e3);
      json.writeNumberField("bytesIn", request.bytesRead());
      json.writeNumberField("bytesOut", response.bytesWritten());
      json.writeStringField(
          "remote", request.remoteAddress() == null ? "" : request.remoteAddress().hostAddress());
      json.writeEndObject();
    } catch (IOException e) {
      return;
    }
    out.println(
        line); // PrintStream locks per line, so lines from several event loops never interleave
  }
}
