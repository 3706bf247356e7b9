package io.sluice.operator.predictor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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
    JsonNode json = Serialization.jsonMapper().valueToTree(desired);
    if (json.path("metadata").path("annotations") instanceof ObjectNode annotations) {
      annotations.remove(APPLIED_ANNOTATION);
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(json.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
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
