package io.sluice.api;

import java.time.Duration;

/**
 * The deployment cannot take the request now: its replicas are at their ongoing-request limit and
 * its queue is full, or the request waited in the queue too long. Clients may retry after {@link
 * #retryAfter()}.
 */
public class ServerOverloadedException extends SluiceException {
  private final Duration retryAfter;

  public ServerOverloadedException(String message, Duration retryAfter) {
    super(message);
    this.retryAfter = retryAfter;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
