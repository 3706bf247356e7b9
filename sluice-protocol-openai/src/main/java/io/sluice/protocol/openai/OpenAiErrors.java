package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.http.ErrorStatus;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.vertx.core.http.HttpServerResponse;

/**
 * Errors in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, which the SDKs
 * surface.
 */
public final class OpenAiErrors {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** OpenAI's error shape for {@link LastResort}, as a reply and as a stream's error event. */
  public static final LastResort.ErrorBody BODY =
      new LastResort.ErrorBody() {
        @Override
        public void send(HttpServerResponse response, int status, String message) {
          OpenAiErrors.send(
              response, status, message, null, status >= 500 ? "internal_error" : null);
        }

        @Override
        public byte[] event(int status, String message) {
          return OpenAiErrors.event(status, message, status >= 500 ? "internal_error" : null);
        }
      };

  private OpenAiErrors() {}

  /** Sends the error for a failure and returns the HTTP status sent. */
  static int send(HttpServerResponse response, Throwable failure) {
    if (response.closed()) {
      return HttpReplies.CLIENT_CLOSED;
    }
    Throwable cause = ErrorStatus.unwrap(failure);
    if (cause instanceof InvalidParameterException invalid) {
      send(response, 400, invalid.getMessage(), invalid.param(), invalid.code());
      return 400;
    }
    int status = ErrorStatus.httpStatus(cause);
    String code =
        switch (status) {
          case 400 -> null;
          case 404 -> cause instanceof ModelNotFoundException ? "model_not_found" : null;
          case 503 ->
              cause instanceof ServerOverloadedException ? "server_overloaded" : "model_not_ready";
          case 504 -> "timeout";
          default -> "internal_error";
        };
    if (cause instanceof ServerOverloadedException overloaded) {
      response.putHeader(
          "Retry-After", Long.toString(Math.max(1, overloaded.retryAfter().toSeconds())));
    }
    send(response, status, ErrorStatus.message(cause), null, code);
    return status;
  }

  public static void send(
      HttpServerResponse response, int status, String message, String param, String code) {
    HttpReplies.send(
        response, status, "application/json", bytes(body(status, message, param, code)));
  }

  /** The error body as one server-sent event's data, for failures after a stream began. */
  static byte[] event(int status, String message, String code) {
    return bytes(body(status, message, null, code));
  }

  private static ObjectNode body(int status, String message, String param, String code) {
    ObjectNode error = MAPPER.createObjectNode();
    ObjectNode body = error.putObject("error");
    body.put("message", message);
    body.put(
        "type",
        status >= 500
            ? "server_error"
            : status == 404 ? "invalid_request_error" : "invalid_request_error");
    if (param == null) {
      body.putNull("param");
    } else {
      body.put("param", param);
    }
    if (code == null) {
      body.putNull("code");
    } else {
      body.put("code", code);
    }
    return error;
  }

  private static byte[] bytes(ObjectNode json) {
    try {
      return MAPPER.writeValueAsBytes(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
