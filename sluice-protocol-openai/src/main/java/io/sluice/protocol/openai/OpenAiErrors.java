package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.protocol.kserve.http.ErrorStatus;
import io.sluice.protocol.kserve.http.HttpReplies;
import io.vertx.core.http.HttpServerResponse;

/** Errors in OpenAI's shape, {@code {"error": {"message", "type", "param", "code"}}}, which the SDKs surface. */
final class OpenAiErrors {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private OpenAiErrors() {}

  /** Sends the error for a failure and returns the HTTP status sent. */
  static int send(HttpServerResponse response, Throwable failure) {
    if (response.closed()) {
      return HttpReplies.CLIENT_CLOSED;
    }
    Throwable cause = ErrorStatus.unwrap(failure);
    int status = ErrorStatus.httpStatus(cause);
    String code = switch (status) {
      case 400 -> null;
      case 404 -> cause instanceof ModelNotFoundException ? "model_not_found" : null;
      case 503 -> cause instanceof ServerOverloadedException ? "server_overloaded" : "model_not_ready";
      case 504 -> "timeout";
      default -> "internal_error";
    };
    if (cause instanceof ServerOverloadedException overloaded) {
      response.putHeader("Retry-After", Long.toString(Math.max(1, overloaded.retryAfter().toSeconds())));
    }
    send(response, status, ErrorStatus.message(cause), null, code);
    return status;
  }

  static void send(HttpServerResponse response, int status, String message, String param, String code) {
    ObjectNode error = MAPPER.createObjectNode();
    ObjectNode body = error.putObject("error");
    body.put("message", message);
    body.put("type", status >= 500 ? "server_error" : status == 404 ? "invalid_request_error" : "invalid_request_error");
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
    try {
      HttpReplies.send(response, status, "application/json", MAPPER.writeValueAsBytes(error));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
