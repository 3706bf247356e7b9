package io.sluice.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.sluice.api.ServerOverloadedException;
import io.sluice.http.json.JsonFactories;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Writes JSON replies and {@code {"error": "..."}} bodies; safe to call from any thread. */
public final class HttpReplies {
  private static final Logger log = LoggerFactory.getLogger(HttpReplies.class);
  private static final JsonFactory JSON = JsonFactories.JSON;

  private HttpReplies() {}

  /** Something that writes one JSON value. */
  @FunctionalInterface
  public interface JsonWriter {
    void write(JsonGenerator json) throws IOException;
  }

  public static byte[] json(JsonWriter writer) {
    ByteArrayBuilder out = new ByteArrayBuilder(128);
    try (JsonGenerator json = JSON.createGenerator(out)) {
      writer.write(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  public static void sendJson(HttpServerResponse response, int status, JsonWriter writer) {
    send(response, status, "application/json", json(writer));
  }

  public static void send(
      HttpServerResponse response, int status, String contentType, byte[] body) {
    if (response.closed() || response.ended()) {
      return;
    }
    send(response, status, contentType, Buffer.buffer(body));
  }

  /** Sends {@code body} as it is (no copy), unless the response is already over. */
  public static void send(
      HttpServerResponse response, int status, String contentType, Buffer body) {
    if (response.closed() || response.ended()) {
      return;
    }
    response.setStatusCode(status).putHeader("content-type", contentType).end(body);
  }

  /** Status recorded for requests whose client went away before the answer (nginx's convention). */
  public static final int CLIENT_CLOSED = 499;

  /** Sends {@code {"error": message}} with the error's status; returns the status sent. */
  public static int sendError(HttpServerResponse response, Throwable error) {
    if (response.closed()) {
      return CLIENT_CLOSED;
    }
    int status = ErrorStatus.httpStatus(error);
    if (ErrorStatus.unwrap(error) instanceof ServerOverloadedException overloaded
        && !response.headWritten()) {
      response.putHeader(
          "Retry-After", Long.toString(Math.max(1, overloaded.retryAfter().toSeconds())));
    }
    if (status == 500 && ErrorStatus.message(error).equals("internal server error")) {
      log.error("request failed", ErrorStatus.unwrap(error));
    }
    sendError(response, status, ErrorStatus.message(error));
    return status;
  }

  public static void sendError(HttpServerResponse response, int status, String message) {
    send(response, status, "application/json", errorJson(message));
  }

  /** {@code {"error": message}}: V2's error body, whole or as one server-sent event. */
  public static byte[] errorJson(String message) {
    return json(
        json -> {
          json.writeStartObject();
          json.writeStringField("error", message);
          json.writeEndObject();
        });
  }
}
