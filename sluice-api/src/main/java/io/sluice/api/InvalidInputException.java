package io.sluice.api;

/** The request is malformed or does not match the model's inputs. */
public class InvalidInputException extends SluiceException {
  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
