package io.sluice.operator.predictor;

import java.util.Locale;

/** KServe's names for what an InferenceService owns, and Sluice's labels on them. */
public final class Naming {
  public static final String ISVC_LABEL = "serving.kserve.io/inferenceservice";
  public static final String COMPONENT_LABEL = "component";
  public static final String REVISION_LABEL = "serving.sluice.io/revision";
  public static final String POOL_LABEL = "serving.sluice.io/accelerator-pool";
  public static final String SPEC_HASH_ANNOTATION = "serving.sluice.io/spec-hash";

  /**
   * On a revision's Deployment once one of its pods has been ready: proof that its model loads, so
   * that at {@code minReplicas: 0} it may take traffic (and scale to zero) without a pod running.
   */
  public static final String READY_ONCE_ANNOTATION = "serving.sluice.io/ready-once";

  public static final String CONTAINER = "kserve-container";
  public static final int PORT = 8080;

  /**
   * The {@code {isvc}-predictor} alias answers on 80 and on this port too, so that clients written
   * for addresses such as {@code http://{model}-predictor.{ns}.svc.cluster.local:8000/{model}/...}
   * keep working.
   */
  public static final int ALIAS_SECOND_PORT = 8000;

  private Naming() {}

  /** Whether a revision's Deployment has had a ready pod ({@link #READY_ONCE_ANNOTATION}). */
  public static boolean readyOnce(io.fabric8.kubernetes.api.model.apps.Deployment revision) {
    return revision.getMetadata().getAnnotations() != null
        && "true".equals(revision.getMetadata().getAnnotations().get(READY_ONCE_ANNOTATION));
  }

  /** {@code {isvc}-predictor}: the Service clients use. */
  public static String predictor(String isvc) {
    return isvc + "-predictor";
  }

  /**
   * {@code {isvc}-predictor-00003}: a revision's Deployment, Service and ConfigMap (Knative's
   * revision names).
   */
  public static String revision(String isvc, int number) {
    return predictor(isvc) + "-" + String.format(Locale.ROOT, "%05d", number);
  }

  /** The number of a revision name, or 0 when it is not one of {@code isvc}'s. */
  public static int revisionNumber(String isvc, String name) {
    String prefix = predictor(isvc) + "-";
    if (name == null || !name.startsWith(prefix)) {
      return 0;
    }
    try {
      return Integer.parseInt(name.substring(prefix.length()));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** {@code sluice-pool-{pool}}: an accelerator pool's ConfigMap, Deployment and Service. */
  public static String pool(String pool) {
    return "sluice-pool-" + pool;
  }

  /** The in-cluster URL of a Service. */
  public static String url(String service, String namespace) {
    return "http://" + service + "." + namespace + ".svc.cluster.local";
  }
}
