package io.sluice.api;

/**
 * The replica chosen for a request could not run it: its server could not be reached (connection
 * refused or reset, the host gone) or its worker died before the request began. The request was not
 * run there, so the engine may try another replica before answering 503.
 */
public class ReplicaUnavailableException extends ModelNotReadyException {
  public ReplicaUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
