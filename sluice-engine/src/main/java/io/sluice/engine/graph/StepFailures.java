package io.sluice.engine.graph;

import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelNotFoundException;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.RequestTimeoutException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.api.SluiceException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * A step's failure told as the same kind of error (so the same status), with the step named first.
 */
final class StepFailures {
  private StepFailures() {}

  static SluiceException naming(StepSpec step, Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message =
        "step '"
            + step.name()
            + "' ("
            + step.target()
            + ") failed: "
            + (cause instanceof SluiceException ? cause.getMessage() : "internal error");
    return switch (cause) {
      case InvalidInputException e -> new InvalidInputException(message, e);
      case ModelNotFoundException e -> new ModelNotFoundException(message, e);
      case ModelNotReadyException e -> new ModelNotReadyException(message, e);
      case ServerOverloadedException e -> new ServerOverloadedException(message, e.retryAfter());
      case RequestTimeoutException e -> new RequestTimeoutException(message);
      default -> new InferenceFailedException(message, cause);
    };
  }
}
