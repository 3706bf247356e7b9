package io.sluice.api;

/**
 * The server hosting a replica could not be reached, so the request was not run there (connection refused or
 * reset, the host gone): the engine may try another replica before answering 503.
 */
public class UpstreamUnreachableException extends ModelNotReadyException {
  public UpstreamUnreachableException(String message, Throwable cause) {
    super(message, cause);
  }
}
