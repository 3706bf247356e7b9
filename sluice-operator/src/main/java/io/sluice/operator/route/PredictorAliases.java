package io.sluice.operator.route;

import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.operator.cache.ClusterCache;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.predictor.Naming;
import io.sluice.operator.predictor.Ownership;
import io.sluice.operator.predictor.RevisionResources;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each InferenceService's {@code {isvc}-predictor} pointing at the routers: its Endpoints
 * follow the router pods, so the name clients know reaches the one routed endpoint (canary weights,
 * queues, scale from zero) with a cluster IP and no DNS tricks. The reconciler makes the Service
 * itself (selector-less) when routers are in use.
 */
public final class PredictorAliases {
  private static final Logger log = LoggerFactory.getLogger(PredictorAliases.class);

  private final KubernetesClient client;
  private final ClusterCache cache;

  /**
   * @param cache where the router pods and the aliases' Endpoints are read (writes go to {@code
   *     client})
   */
  public PredictorAliases(KubernetesClient client, ClusterCache cache) {
    this.client = client;
    this.cache = cache;
  }

  /** Points the aliases of {@code services} at the router pods there are now. */
  public void sync(List<InferenceService> services) {
    List<EndpointSubset> pods = cache.routerPods();
    for (InferenceService isvc : services) {
      Endpoints desired = RevisionResources.predictorAliasEndpoints(isvc, pods);
      Endpoints current =
          cache.alias(
              isvc.getMetadata().getNamespace(), Naming.predictor(isvc.getMetadata().getName()));
      if (current != null
          && (Objects.equals(current.getSubsets(), desired.getSubsets())
              || !Ownership.sharesOwner(current, desired))) {
        continue; // unchanged, or not Sluice's (the service is refused for its Service)
      }
      try {
        if (current == null) {
          client.resource(desired).create();
        } else {
          desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
          client.resource(desired).update();
        }
      } catch (KubernetesClientException e) {
        log.warn(
            "cannot point {} at the routers: {}", desired.getMetadata().getName(), e.getMessage());
      }
    }
  }
}
