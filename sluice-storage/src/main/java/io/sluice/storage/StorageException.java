package io.sluice.storage;

/** A model cannot be fetched; the message says what and why. */
public final class StorageException extends Exception {
  public StorageException(String message) {
    super(message);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
