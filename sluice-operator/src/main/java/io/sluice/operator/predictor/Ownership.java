package io.sluice.operator.predictor;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.List;
import java.util.Objects;

/** Whether an object that exists is the operator's own, so that it may be replaced. */
public final class Ownership {
  private Ownership() {}

  /** Whether {@code existing} is owned by one of the InferenceServices that own {@code desired}. */
  public static boolean sharesOwner(HasMetadata existing, HasMetadata desired) {
    List<OwnerReference> owners = existing.getMetadata().getOwnerReferences();
    List<OwnerReference> wanted = desired.getMetadata().getOwnerReferences();
    if (owners == null || wanted == null) {
      return false;
    }
    return owners.stream()
        .filter(owner -> "InferenceService".equals(owner.getKind()) && owner.getUid() != null)
        .anyMatch(
            owner -> wanted.stream().anyMatch(w -> Objects.equals(w.getUid(), owner.getUid())));
  }
}
