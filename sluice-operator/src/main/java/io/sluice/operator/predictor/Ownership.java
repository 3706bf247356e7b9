package io.sluice.operator.predictor;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.List;
import java.util.Objects;

/**
 * Whether an object that exists is the operator's own, so that it may be replaced, and whether it
 * is still as the operator last wrote it.
 */
public final class Ownership {
  /** A digest of what the operator wrote: an object that still carries it needs no write. */
  public static final String APPLIED_ANNOTATION = "serving.sluice.io/applied";

  private Ownership() {}

  /** A digest of the object as desired (before the API server fills in its defaults). */
  public static String hash(HasMetadata desired) {
    try {
      var json = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().valueToTree(desired);
      if (json instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
        var metadata = (com.fasterxml.jackson.databind.node.ObjectNode) object.get("metadata");
        if (metadata != null
            && metadata.get("annotations")
                instanceof com.fasterxml.jackson.databind.node.ObjectNode annotations) {
          annotations.remove(APPLIED_ANNOTATION);
        }
      }
      byte[] digest =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

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
