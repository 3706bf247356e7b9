package io.sluice.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.sluice.operator.cache.ClusterCache;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.reconcile.InferenceServiceReconciler;
import io.sluice.operator.route.PredictorAliases;
import io.sluice.operator.route.RoutedServices;
import io.sluice.operator.route.RouterService;
import io.sluice.operator.scale.LoadScaler;
import io.sluice.operator.scale.RouterLoad;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The operator process: reconciles InferenceServices (in-cluster credentials, or {@code
 * KUBECONFIG}). {@code SLUICE_IMAGE} names the image predictors run (default {@code
 * k8s.local/sluice:dev}); {@code SLUICE_WATCH_NAMESPACES} (comma-separated) limits the namespaces
 * it serves (default: all), {@code SLUICE_SERVICE_SELECTOR} (a label selector) the
 * InferenceServices (default: all); {@code SLUICE_ROUTER} ({@code namespace/service}) and {@code
 * SLUICE_ADMIN_TOKEN} name the routers: then it scales revisions from the routers' load ({@link
 * LoadScaler}) and {@code {isvc}-predictor} points at the routers ({@link PredictorAliases});
 * without them revisions keep {@code minReplicas} (at least one) and {@code {isvc}-predictor}
 * selects the serving revision's pods. With {@code SLUICE_LEASE_NAMESPACE} (the chart sets it) it
 * elects a leader through the Lease {@code sluice-operator} there: only the leader reconciles and
 * scales, so replicas can run side by side (a rolling upgrade, a spare).
 */
public final class OperatorMain {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OperatorMain.class);

  private OperatorMain() {}

  public static void main(String[] args) {
    KubernetesClient client = new KubernetesClientBuilder().build();
    String watched = System.getenv().getOrDefault("SLUICE_WATCH_NAMESPACES", "");
    Set<String> namespaces =
        Arrays.stream(watched.split(","))
            .map(String::strip)
            .filter(n -> !n.isEmpty())
            .collect(Collectors.toSet());
    String selector = System.getenv().getOrDefault("SLUICE_SERVICE_SELECTOR", "").strip();
    String router = System.getenv().getOrDefault("SLUICE_ROUTER", "");
    String token = System.getenv().getOrDefault("SLUICE_ADMIN_TOKEN", "");
    RouterService routers =
        router.isBlank() || token.isBlank() ? null : RouterService.parse(router);
    RoutedServices routed = new RoutedServices();
    Runnable lead =
        routers == null
            ? () -> {}
            : () -> linkRouters(client, routers, token.strip(), namespaces, selector, routed);
    String leaseNamespace = System.getenv("SLUICE_LEASE_NAMESPACE");
    LeaderElectionConfiguration election =
        leaseNamespace == null || leaseNamespace.isBlank()
            ? null
            : LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration("sluice-operator")
                .withLeaseNamespace(leaseNamespace)
                // a little longer than Kubernetes' own 15 s / 10 s: a busy small node must not
                // make the leader give up
                .withLeaseDuration(Duration.ofSeconds(20))
                .withRenewDeadline(Duration.ofSeconds(15))
                .withRetryPeriod(Duration.ofSeconds(2))
                .withIdentity(
                    System.getenv()
                        .getOrDefault("SLUICE_POD_NAME", ProcessHandle.current().pid() + ""))
                .withLeaderCallbacks(
                    new LeaderCallbacks(
                        () -> {
                          log.info("leading: reconciling and scaling");
                          lead.run();
                        },
                        () -> log.info("no longer leading"),
                        leader -> log.info("the leader is {}", leader)))
                .build();
    Operator operator =
        start(
            client,
            System.getenv().getOrDefault("SLUICE_IMAGE", "k8s.local/sluice:dev"),
            namespaces,
            selector,
            routers != null,
            routed,
            election);
    Runtime.getRuntime().addShutdownHook(new Thread(operator::stop, "sluice-operator-stop"));
    if (election == null) {
      lead.run();
    }
  }

  /**
   * Once a second: points the {@code {isvc}-predictor} aliases at the router pods, and scales
   * revisions from the load the routers see.
   */
  private static void linkRouters(
      KubernetesClient client,
      RouterService routers,
      String token,
      Set<String> namespaces,
      String selector,
      RoutedServices routed) {
    ClusterCache cache = new ClusterCache(client, namespaces, selector, routers);
    PredictorAliases aliases = new PredictorAliases(client, cache);
    LoadScaler scaler =
        new LoadScaler(
            client,
            cache::revisions,
            new RouterLoad(cache::routerPods, routers, token, routed),
            namespaces,
            System::nanoTime);
    Thread thread =
        new Thread(
            () -> {
              String lastProblem = null;
              while (true) {
                try {
                  List<InferenceService> services = cache.services();
                  aliases.sync(services);
                  scaler.tick(services);
                  lastProblem = null;
                } catch (InterruptedException e) {
                  return;
                } catch (Exception e) {
                  if (!e.toString().equals(lastProblem)) {
                    log.warn("routing and scaling paused: {}", e.toString());
                    lastProblem = e.toString();
                  }
                }
                try {
                  Thread.sleep(Duration.ofSeconds(1));
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "sluice-router-link");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Starts reconciling in every namespace with {@code client}, predictors reached directly; runs
   * until stopped.
   */
  public static Operator start(KubernetesClient client, String image) {
    return start(client, image, Set.of(), "", false, new RoutedServices(), null);
  }

  /**
   * Starts reconciling in {@code namespaces} (empty: all); the returned operator runs until
   * stopped.
   *
   * @param selector a label selector the InferenceServices it serves must match ("" for all)
   * @param routed whether {@code {isvc}-predictor} names point at the routers
   * @param routes what the routers serve (a service is Ready once they all do)
   * @param election the Lease to hold while reconciling (the process exits when it loses it), or
   *     null to reconcile at once
   */
  public static Operator start(
      KubernetesClient client,
      String image,
      Set<String> namespaces,
      String selector,
      boolean routed,
      RoutedServices routes,
      LeaderElectionConfiguration election) {
    // Server-side apply is off: the 1.20 API server and fabric8's mock both mishandle parts of it
    // (no schema validation or apply patches on the mock; Service ports without a protocol and
    // create-if-absent with resourceVersion 1 on 1.20).
    Operator operator =
        new Operator(
            overrides -> {
              overrides
                  .withKubernetesClient(client)
                  .withUseSSAToPatchPrimaryResource(false)
                  .withSSABasedCreateUpdateMatchForDependentResources(false);
              if (election != null) {
                overrides.withLeaderElectionConfiguration(election);
              }
            });
    operator.register(
        new InferenceServiceReconciler(client, image, routed, routes, Clock.systemUTC()),
        configuration -> {
          if (!namespaces.isEmpty()) {
            configuration.settingNamespaces(namespaces);
          }
          if (!selector.isEmpty()) {
            configuration.withLabelSelector(selector);
          }
        });
    operator.start();
    return operator;
  }
}
