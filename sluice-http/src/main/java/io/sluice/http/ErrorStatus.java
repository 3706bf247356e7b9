package io.sluice.http;

import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.RequestTimeoutException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.api.SluiceException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** One HTTP status per error cause, and the message a client may see (never a stack trace). */
public final class ErrorStatus {
  private ErrorStatus() {}

  public static Throwable unwrap(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof ExecutionException)
        && current.getCause() != null) {
      current = current.getCause();
    }
    return current;
  }

  public static int httpStatus(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof InvalidInputException) {
      return 400;
    }
    if (cause instanceof ModelNotFoundException) {
      return 404;
    }
    if (cause instanceof ModelNotReadyException || cause instanceof ServerOverloadedException) {
      return 503;
    }
    if (cause instanceof RequestTimeoutException) {
      return 504;
    }
    return 500;
  }

  /**
   * The client-facing message: the cause's own words for known causes, a generic line otherwise.
   */
  public static String message(Throwable error) {
    Throwable cause = unwrap(error);
    if (cause instanceof SluiceException) {
      return cause.getMessage();
    }
    return "internal server error";
  }
}
