package io.sluice.protocol.anthropic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ServerOverloadedException;
import io.sluice.http.ErrorStatus;
import io.sluice.http.HttpReplies;
import io.sluice.http.LastResort;
import io.sluice.http.json.JsonBodies;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * Errors in Anthropic's shape, {@code {"type": "error", "error": {"type", "message"}}}, with the
 * error type the SDKs map to their exception classes; in a stream, an {@code event: error}.
 */
public final class AnthropicErrors {
  /** Anthropic's error shape for {@link LastResort}, as a reply and as a stream's error event. */
  public static final LastResort.ErrorBody BODY =
      new LastResort.ErrorBody() {
        @Override
        public void send(HttpServerResponse response, int status, String message) {
          AnthropicErrors.send(response, status, message);
        }

        @Override
        public byte[] event(int status, String message) {
          return bytes(body(status, message));
        }

        @Override
        public Buffer streamEvent(int status, String message) {
          return Buffer.buffer("event: error\ndata: ")
              .appendBytes(event(status, message))
              .appendString("\n\n");
        }
      };

  private AnthropicErrors() {}

  /** Sends the error for a failure and returns the HTTP status sent. */
  static int send(HttpServerResponse response, Throwable failure) {
    if (response.closed()) {
      return HttpReplies.CLIENT_CLOSED;
    }
    Throwable cause = ErrorStatus.unwrap(failure);
    int status = ErrorStatus.httpStatus(cause);
    if (cause instanceof ServerOverloadedException overloaded) {
      response.putHeader(
          "retry-after", Long.toString(Math.max(1, overloaded.retryAfter().toSeconds())));
    }
    send(response, status, ErrorStatus.message(cause));
    return status;
  }

  static void send(HttpServerResponse response, int status, String message) {
    HttpReplies.send(response, status, "application/json", bytes(body(status, message)));
  }

  /** Anthropic's name for an HTTP status. */
  static String type(int status) {
    return switch (status) {
      case 400, 405, 415, 422 -> "invalid_request_error";
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 408, 504 -> "timeout_error";
      case 413 -> "request_too_large";
      case 429 -> "rate_limit_error";
      case 503, 529 -> "overloaded_error";
      default -> status < 500 ? "invalid_request_error" : "api_error";
    };
  }

  static ObjectNode body(int status, String message) {
    ObjectNode body = JsonBodies.MAPPER.createObjectNode().put("type", "error");
    body.putObject("error").put("type", type(status)).put("message", message);
    return body;
  }

  static byte[] bytes(ObjectNode json) {
    try {
      return JsonBodies.MAPPER.writeValueAsBytes(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
