package io.sluice.api;

/** The request did not finish within its deployment's request timeout. */
public class RequestTimeoutException extends SluiceException {
  public RequestTimeoutException(String message) {
    super(message);
  }
}
