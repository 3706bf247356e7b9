package io.sluice.api;

/**
 * Base of the errors a client can be told about. Each subclass names one cause; protocol adapters
 * map each cause to exactly one status code of their protocol. Messages are written for the client.
 */
public abstract class SluiceException extends RuntimeException {
  protected SluiceException(String message) {
    super(message);
  }

  protected SluiceException(String message, Throwable cause) {
    super(message, cause);
  }
}
