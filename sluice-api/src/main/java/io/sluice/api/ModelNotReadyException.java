package io.sluice.api;

/** The model exists but cannot take requests now (loading, unloading, failed or unloaded). */
public class ModelNotReadyException extends SluiceException {
  public ModelNotReadyException(String message) {
    super(message);
  }

  public ModelNotReadyException(String message, Throwable cause) {
    super(message, cause);
  }
}
