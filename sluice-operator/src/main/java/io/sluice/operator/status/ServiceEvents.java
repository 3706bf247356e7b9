package io.sluice.operator.status;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.InferenceServiceStatus;
import java.time.Clock;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on an InferenceService ({@code kubectl describe isvc}, {@code kubectl get
 * events}): one each time a condition changes, a Warning when it turned false.
 */
public final class ServiceEvents {
  private static final Logger log = LoggerFactory.getLogger(ServiceEvents.class);

  private final KubernetesClient client;
  private final Clock clock;

  public ServiceEvents(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /**
   * Records each condition whose status or message changes between the service's previous status
   * and the next one ({@code PredictorReady} repeats {@code Ready} and is left out).
   */
  public void changed(InferenceService isvc, InferenceServiceStatus next) {
    for (InferenceServiceStatus.Condition condition : next.conditions) {
      InferenceServiceStatus.Condition previous = find(isvc.getStatus(), condition.type);
      boolean ok = "True".equals(condition.status);
      if (condition.type.equals("PredictorReady")
          || previous == null && ok
          || previous != null
              && previous.status.equals(condition.status)
              && Objects.equals(previous.message, condition.message)) {
        continue;
      }
      record(
          isvc,
          ok ? "Normal" : "Warning",
          ok
              ? condition.type
              : condition.reason == null ? "Not" + condition.type : condition.reason,
          ok ? condition.type + " is True" : condition.message);
    }
  }

  private static InferenceServiceStatus.Condition find(InferenceServiceStatus status, String type) {
    if (status == null || status.conditions == null) {
      return null;
    }
    return status.conditions.stream().filter(c -> type.equals(c.type)).findFirst().orElse(null);
  }

  private void record(InferenceService isvc, String type, String reason, String message) {
    String now = clock.instant().toString();
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(
                isvc.getMetadata().getName()
                    + "."
                    + UUID.randomUUID().toString().substring(0, 8).toLowerCase(Locale.ROOT))
            .withNamespace(isvc.getMetadata().getNamespace())
            .endMetadata()
            .withNewInvolvedObject()
            .withApiVersion(isvc.getApiVersion())
            .withKind(isvc.getKind())
            .withName(isvc.getMetadata().getName())
            .withNamespace(isvc.getMetadata().getNamespace())
            .withUid(isvc.getMetadata().getUid())
            .endInvolvedObject()
            .withType(type)
            .withReason(reason)
            .withMessage(message == null ? "" : message)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .withNewSource()
            .withComponent("sluice-operator")
            .endSource()
            .build();
    try {
      client.v1().events().inNamespace(isvc.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      log.debug(
          "cannot record event {} on {}: {}", reason, isvc.getMetadata().getName(), e.toString());
    }
  }
}
