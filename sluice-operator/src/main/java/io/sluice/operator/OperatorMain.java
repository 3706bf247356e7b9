package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.sluice.operator.reconcile.InferenceServiceReconciler;
import io.sluice.operator.scale.LoadScaler;
import io.sluice.operator.scale.RouterLoad;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The operator process: reconciles InferenceServices (in-cluster credentials, or {@code KUBECONFIG}).
 * {@code SLUICE_IMAGE} names the image predictors run (default {@code k8s.local/sluice:dev});
 * {@code SLUICE_WATCH_NAMESPACES} (comma-separated) limits the namespaces it serves (default: all);
 * {@code SLUICE_ROUTER} ({@code namespace/service}) and {@code SLUICE_ADMIN_TOKEN} let it scale revisions from the
 * routers' load ({@link LoadScaler}); without them revisions keep {@code minReplicas} (at least one).
 */
public final class OperatorMain {
  private OperatorMain() {}

  public static void main(String[] args) {
    KubernetesClient client = new KubernetesClientBuilder().build();
    String watched = System.getenv().getOrDefault("SLUICE_WATCH_NAMESPACES", "");
    Set<String> namespaces = Arrays.stream(watched.split(",")).map(String::strip).filter(n -> !n.isEmpty())
        .collect(Collectors.toSet());
    Operator operator = start(client, System.getenv().getOrDefault("SLUICE_IMAGE", "k8s.local/sluice:dev"), namespaces);
    Runtime.getRuntime().addShutdownHook(new Thread(operator::stop, "sluice-operator-stop"));
    String router = System.getenv().getOrDefault("SLUICE_ROUTER", "");
    String token = System.getenv().getOrDefault("SLUICE_ADMIN_TOKEN", "");
    if (router.contains("/") && !token.isBlank()) {
      String[] service = router.split("/", 2);
      new LoadScaler(client, new RouterLoad(client, service[0], service[1], token.strip()), namespaces, System::nanoTime)
          .start(Duration.ofSeconds(1));
    }
  }

  /** Starts reconciling in every namespace with {@code client}; the returned operator runs until stopped. */
  public static Operator start(KubernetesClient client, String image) {
    return start(client, image, Set.of());
  }

  /** Starts reconciling in {@code namespaces} (empty: all); the returned operator runs until stopped. */
  public static Operator start(KubernetesClient client, String image, Set<String> namespaces) {
    // Server-side apply is off: the 1.20 API server and fabric8's mock both mishandle parts of it (shared/k8s/NOTES.md).
    Operator operator = new Operator(overrides -> overrides.withKubernetesClient(client)
        .withUseSSAToPatchPrimaryResource(false)
        .withSSABasedCreateUpdateMatchForDependentResources(false));
    operator.register(new InferenceServiceReconciler(client, image, Clock.systemUTC()), configuration -> {
      if (!namespaces.isEmpty()) {
        configuration.settingNamespaces(namespaces);
      }
    });
    operator.start();
    return operator;
  }
}
