package io.sluice.protocol.openai.realtime;

/**
 * A client event the session cannot act on: answered with an {@code error} event of type {@code
 * invalid_request_error}, and the session goes on.
 */
final class RealtimeError extends RuntimeException {
  final String code;
  final String param;

  RealtimeError(String code, String param, String message) {
    super(message);
    this.code = code;
    this.param = param;
  }
}
