package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.sluice.operator.reconcile.InferenceServiceReconciler;
import java.time.Clock;

/**
 * The operator process: reconciles InferenceServices in every namespace it may see (in-cluster credentials, or
 * {@code KUBECONFIG}). {@code SLUICE_IMAGE} names the image predictors run (default {@code k8s.local/sluice:dev}).
 */
public final class OperatorMain {
  private OperatorMain() {}

  public static void main(String[] args) {
    KubernetesClient client = new KubernetesClientBuilder().build();
    Operator operator = start(client, System.getenv().getOrDefault("SLUICE_IMAGE", "k8s.local/sluice:dev"));
    Runtime.getRuntime().addShutdownHook(new Thread(operator::stop, "sluice-operator-stop"));
  }

  /** Starts reconciling with {@code client}; the returned operator runs until stopped. */
  public static Operator start(KubernetesClient client, String image) {
    // Server-side apply is off: the 1.20 API server and fabric8's mock both mishandle parts of it (shared/k8s/NOTES.md).
    Operator operator = new Operator(overrides -> overrides.withKubernetesClient(client)
        .withUseSSAToPatchPrimaryResource(false)
        .withSSABasedCreateUpdateMatchForDependentResources(false));
    operator.register(new InferenceServiceReconciler(client, image, Clock.systemUTC()));
    operator.start();
    return operator;
  }
}
