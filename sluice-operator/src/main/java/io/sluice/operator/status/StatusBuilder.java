package io.sluice.operator.status;

import io.sluice.operator.crd.InferenceServiceStatus;
import io.sluice.operator.crd.InferenceServiceStatus.ComponentStatus;
import io.sluice.operator.crd.InferenceServiceStatus.Condition;
import io.sluice.operator.crd.InferenceServiceStatus.TrafficTarget;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The status KServe's clients and the Kubeflow UI read: {@code url}, {@code address.url}, the
 * conditions {@code PredictorReady}, {@code IngressReady} (the routers took the route), {@code
 * LatestDeploymentReady} (the latest revision has proved itself) and {@code Ready} (predictor and
 * ingress), {@code components.predictor} with its revisions and traffic, and {@code
 * observedGeneration}. A condition keeps its {@code lastTransitionTime} while its status does not
 * change.
 */
public final class StatusBuilder {
  private final InferenceServiceStatus previous;
  private final InferenceServiceStatus status = new InferenceServiceStatus();
  private final Instant now;

  public StatusBuilder(InferenceServiceStatus previous, Long generation, Instant now) {
    this.previous = previous;
    this.now = now.truncatedTo(ChronoUnit.SECONDS);
    status.observedGeneration = generation;
  }

  /** A predictor that cannot be served: not ready, with the reasons. */
  public InferenceServiceStatus refused(List<String> problems) {
    String message = String.join("; ", problems);
    condition("PredictorReady", false, "Unsupported", message);
    condition("Ready", false, "Unsupported", message);
    if (previous != null && previous.components != null) {
      status.components.putAll(previous.components); // what still runs keeps running
    }
    return status;
  }

  /**
   * A predictor with revisions.
   *
   * @param url the {@code {isvc}-predictor} Service's URL
   * @param latestReady the latest ready revision, or null
   * @param serving whether the revisions taking traffic have ready pods (or may scale from zero)
   * @param reason why not, when not serving
   * @param latestNotReady why the latest revision cannot take traffic yet, or null
   * @param notRouted why the routers do not serve it yet, or null
   */
  public InferenceServiceStatus serving(
      String url,
      Traffic traffic,
      String latestReady,
      boolean serving,
      String reason,
      String latestNotReady,
      String notRouted) {
    status.url = url;
    status.address = new InferenceServiceStatus.Address(url);
    ComponentStatus predictor = new ComponentStatus();
    predictor.latestCreatedRevision = traffic.latest();
    predictor.latestReadyRevision = latestReady;
    predictor.url = url;
    ComponentStatus before =
        previous == null || previous.components == null
            ? null
            : previous.components.get("predictor");
    String rolledOutBefore = before == null ? null : before.latestRolledoutRevision;
    if (traffic.rolledOut() && traffic.latest().equals(latestReady)) {
      predictor.latestRolledoutRevision = traffic.latest();
      predictor.previousRolledoutRevision =
          rolledOutBefore != null && !rolledOutBefore.equals(traffic.latest())
              ? rolledOutBefore
              : before == null ? null : before.previousRolledoutRevision;
    } else {
      predictor.latestRolledoutRevision = rolledOutBefore;
      predictor.previousRolledoutRevision =
          traffic.previous() != null
              ? traffic.previous()
              : before == null ? null : before.previousRolledoutRevision;
    }
    if (traffic.latestPercent() > 0) {
      predictor.traffic.add(target(null, traffic.latest(), true, traffic.latestPercent()));
    }
    if (traffic.previous() != null && traffic.latestPercent() < 100) {
      predictor.traffic.add(
          target("prev", traffic.previous(), false, 100 - traffic.latestPercent()));
    }
    status.components.put("predictor", predictor);
    condition("IngressReady", notRouted == null, notRouted == null ? null : "NotRouted", notRouted);
    condition(
        "LatestDeploymentReady",
        latestNotReady == null,
        latestNotReady == null ? null : "RevisionNotReady",
        latestNotReady);
    condition(
        "PredictorReady", serving, serving ? null : "RevisionNotReady", serving ? null : reason);
    boolean ready = serving && notRouted == null;
    condition(
        "Ready",
        ready,
        ready ? null : serving ? "NotRouted" : "RevisionNotReady",
        ready ? null : serving ? notRouted : reason);
    return status;
  }

  private static TrafficTarget target(String tag, String revision, boolean latest, int percent) {
    TrafficTarget target = new TrafficTarget();
    target.tag = tag;
    target.revisionName = revision;
    target.latestRevision = latest;
    target.percent = (long) percent;
    return target;
  }

  private void condition(String type, boolean ok, String reason, String message) {
    Condition condition = new Condition();
    condition.type = type;
    condition.status = ok ? "True" : "False";
    condition.reason = reason;
    condition.message = message;
    condition.lastTransitionTime = now.toString();
    if (previous != null && previous.conditions != null) {
      previous.conditions.stream()
          .filter(c -> type.equals(c.type) && condition.status.equals(c.status))
          .findFirst()
          .ifPresent(same -> condition.lastTransitionTime = same.lastTransitionTime);
    }
    status.conditions.add(condition);
  }
}
