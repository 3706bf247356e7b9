package io.sluice.operator.cache;

import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.predictor.Naming;
import io.sluice.operator.route.RouterService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * What the once-a-second work beside the reconciler (pointing the aliases, scaling from load)
 * reads, kept by informers (a list, then a watch) instead of asked of the API server each time: the
 * InferenceServices, their revisions' Deployments, the aliases' Endpoints and the routers'
 * Endpoints. At rest it costs the API server a few open watches.
 */
public final class ClusterCache implements AutoCloseable {
  private final List<SharedIndexInformer<InferenceService>> services = new ArrayList<>();
  private final List<SharedIndexInformer<Deployment>> revisions = new ArrayList<>();
  private final List<SharedIndexInformer<Endpoints>> aliases = new ArrayList<>();
  private final SharedIndexInformer<Endpoints> routers;

  /**
   * Starts the informers and waits until each has listed once.
   *
   * @param namespaces the namespaces served (empty: all)
   * @param selector a label selector of the InferenceServices served ("" for all)
   */
  public ClusterCache(
      KubernetesClient client, Set<String> namespaces, String selector, RouterService router) {
    inform(
        namespaces,
        services,
        namespace -> {
          var all =
              namespace == null
                  ? client.resources(InferenceService.class).inAnyNamespace()
                  : client.resources(InferenceService.class).inNamespace(namespace);
          return selector.isEmpty() ? all.inform() : all.withLabelSelector(selector).inform();
        });
    inform(
        namespaces,
        revisions,
        namespace ->
            namespace == null
                ? client.apps().deployments().inAnyNamespace().withLabel(Naming.ISVC_LABEL).inform()
                : client
                    .apps()
                    .deployments()
                    .inNamespace(namespace)
                    .withLabel(Naming.ISVC_LABEL)
                    .inform());
    inform(
        namespaces,
        aliases,
        namespace ->
            namespace == null
                ? client
                    .endpoints()
                    .inAnyNamespace()
                    .withLabel(Naming.COMPONENT_LABEL, "predictor")
                    .inform()
                : client
                    .endpoints()
                    .inNamespace(namespace)
                    .withLabel(Naming.COMPONENT_LABEL, "predictor")
                    .inform());
    routers = client.endpoints().inNamespace(router.namespace()).withName(router.name()).inform();
  }

  private static <T> void inform(
      Set<String> namespaces,
      List<SharedIndexInformer<T>> into,
      Function<String, SharedIndexInformer<T>> informer) {
    if (namespaces.isEmpty()) {
      into.add(informer.apply(null));
    } else {
      namespaces.stream().sorted().forEach(namespace -> into.add(informer.apply(namespace)));
    }
  }

  /** Every InferenceService served. */
  public List<InferenceService> services() {
    List<InferenceService> all = new ArrayList<>();
    services.forEach(informer -> all.addAll(informer.getStore().list()));
    return all;
  }

  /** The Deployments labelled with an InferenceService of {@code namespace}. */
  public List<Deployment> revisions(String namespace, String isvc) {
    List<Deployment> found = new ArrayList<>();
    for (SharedIndexInformer<Deployment> informer : revisions) {
      for (Deployment deployment : informer.getStore().list()) {
        if (namespace.equals(deployment.getMetadata().getNamespace())
            && isvc.equals(deployment.getMetadata().getLabels().get(Naming.ISVC_LABEL))) {
          found.add(deployment);
        }
      }
    }
    return found;
  }

  /** An alias's Endpoints, or null. */
  public Endpoints alias(String namespace, String name) {
    for (SharedIndexInformer<Endpoints> informer : aliases) {
      Endpoints endpoints = informer.getStore().getByKey(namespace + "/" + name);
      if (endpoints != null) {
        return endpoints;
      }
    }
    return null;
  }

  /** The ready router pods and their ports (empty when there are none). */
  public List<EndpointSubset> routerPods() {
    List<Endpoints> all = routers.getStore().list();
    return all.isEmpty() || all.getFirst().getSubsets() == null
        ? List.of()
        : all.getFirst().getSubsets();
  }

  @Override
  public void close() {
    services.forEach(SharedIndexInformer::close);
    revisions.forEach(SharedIndexInformer::close);
    aliases.forEach(SharedIndexInformer::close);
    routers.close();
  }
}
