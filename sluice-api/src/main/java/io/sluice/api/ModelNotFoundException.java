package io.sluice.api;

/** The named model (or version) is not known to the server. */
public class ModelNotFoundException extends SluiceException {
  public ModelNotFoundException(String message) {
    super(message);
  }

  public ModelNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
