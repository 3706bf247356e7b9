package io.sluice.api;

/** The model accepted the request but failed while running it. */
public class InferenceFailedException extends SluiceException {
  public InferenceFailedException(String message) {
    super(message);
  }

  public InferenceFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
