package io.sluice.operator.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * An object the operator would write already exists and is not its own (no InferenceService it
 * serves owns it): a user's Service that happens to be named {@code {isvc}-predictor}, say. It is
 * never adopted or overwritten; the service is refused with this message.
 */
final class ForeignObjectException extends RuntimeException {
  ForeignObjectException(HasMetadata existing) {
    super(
        "a "
            + existing.getKind()
            + " named "
            + existing.getMetadata().getName()
            + " already exists and was not created by Sluice for this InferenceService;"
            + " delete or rename it");
  }
}
