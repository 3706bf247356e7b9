package io.sluice.operator.scale;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.sluice.engine.autoscale.AutoscalingPolicy;
import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.autoscale.LoadWindow;
import io.sluice.engine.autoscale.ScalingDecision;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.InferenceServices;
import io.sluice.operator.crd.PredictorSpec;
import io.sluice.operator.predictor.Naming;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scales each predictor revision's Deployment from the routers' load ({@link RouterLoad}), with the
 * engine's autoscaling policy (Ray Serve's: average load over a look-back period against {@code
 * scaleTarget} per pod, upscale and downscale delays; the load is ongoing requests, or requests per
 * second with {@code scaleMetric: rps}) and {@link ScalingSettings}: no metrics-server or HPA
 * involved. A revision at zero pods gets one as soon as a router holds a request for it. Without an
 * answer from any router nothing changes.
 */
public final class LoadScaler {
  private static final Logger log = LoggerFactory.getLogger(LoadScaler.class);

  /** One revision's policy state, kept while its settings stay the same. */
  private static final class Tracked {
    final AutoscalingSpec spec;
    final boolean perSecond;
    final AutoscalingPolicy policy;
    final LoadWindow window;
    long lastDispatched = -1;
    long lastAtNanos;

    Tracked(AutoscalingSpec spec, boolean perSecond) {
      this.spec = spec;
      this.perSecond = perSecond;
      this.policy = new AutoscalingPolicy(spec);
      this.window = new LoadWindow(spec.lookBackPeriod().toNanos());
    }

    /**
     * The load the policy weighs: ongoing and waiting requests, or for {@code scaleMetric: rps} the
     * requests per second since the last sample (any waiting request while at zero pods, so that a
     * request wakes it).
     */
    double load(RevisionLoad.Sample sample, long now, int replicas) {
      long before = lastDispatched;
      long then = lastAtNanos;
      lastDispatched = sample.dispatched();
      lastAtNanos = now;
      if (!perSecond || (replicas == 0 && sample.concurrency() > 0)) {
        return sample.concurrency();
      }
      if (before < 0 || now <= then) {
        return 0;
      }
      return Math.max(0, sample.dispatched() - before)
          * 1e9
          / (now - then); // a router that restarted counts anew
    }
  }

  private final KubernetesClient client;
  private final BiFunction<String, String, List<Deployment>> revisionsOf;
  private final RevisionLoad routers;
  private final Set<String> namespaces;
  private final LongSupplier nanoClock;
  private final Map<String, Tracked> revisions = new HashMap<>();

  /**
   * @param namespaces the namespaces whose InferenceServices it scales (empty: all)
   */
  public LoadScaler(
      KubernetesClient client,
      RevisionLoad routers,
      Set<String> namespaces,
      LongSupplier nanoClock) {
    this(
        client,
        (namespace, isvc) ->
            client
                .apps()
                .deployments()
                .inNamespace(namespace)
                .withLabel(Naming.ISVC_LABEL, isvc)
                .list()
                .getItems(),
        routers,
        namespaces,
        nanoClock);
  }

  /**
   * @param revisionsOf a service's revision Deployments, by namespace and name (from a cache)
   * @param namespaces the namespaces whose InferenceServices it scales (empty: all)
   */
  public LoadScaler(
      KubernetesClient client,
      BiFunction<String, String, List<Deployment>> revisionsOf,
      RevisionLoad routers,
      Set<String> namespaces,
      LongSupplier nanoClock) {
    this.client = client;
    this.revisionsOf = revisionsOf;
    this.routers = routers;
    this.namespaces = namespaces;
    this.nanoClock = nanoClock;
  }

  /** One evaluation of every revision; the decisions that changed a replica count. */
  public List<ScalingDecision> tick() throws java.io.IOException, InterruptedException {
    return tick(InferenceServices.in(client, namespaces));
  }

  /**
   * One evaluation of the revisions of {@code services} (listed once for everything the caller does
   * per tick).
   */
  public List<ScalingDecision> tick(List<InferenceService> services)
      throws java.io.IOException, InterruptedException {
    Map<String, RevisionLoad.Sample> load = routers.read();
    long now = nanoClock.getAsLong();
    List<ScalingDecision> changes = new ArrayList<>();
    Set<String> present = new HashSet<>();
    for (InferenceService isvc : services) {
      if (isvc.getSpec() == null || isvc.getSpec().predictor == null) {
        continue;
      }
      AutoscalingSpec spec = ScalingSettings.of(isvc);
      boolean perSecond = isvc.getSpec().predictor.scaleMetric == PredictorSpec.ScaleMetric.rps;
      String namespace = isvc.getMetadata().getNamespace();
      for (Deployment deployment : revisionsOf.apply(namespace, isvc.getMetadata().getName())) {
        if (!ownedBy(deployment, isvc)) {
          continue; // labelled like a revision, but not one this operator made
        }
        String key = namespace + "/" + deployment.getMetadata().getName();
        present.add(key);
        Tracked tracked = revisions.get(key);
        if (tracked == null || !tracked.spec.equals(spec) || tracked.perSecond != perSecond) {
          tracked = new Tracked(spec, perSecond);
          revisions.put(key, tracked);
        }
        int current =
            deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
        tracked.window.record(
            now, tracked.load(load.getOrDefault(key, new RevisionLoad.Sample(0, 0)), now, current));
        ScalingDecision decision = tracked.policy.decide(now, tracked.window.average(), current);
        if (decision.changes()
            && decision.decidedReplicas() == 0
            && !Naming.readyOnce(deployment)) {
          continue; // its first pod has not proved that the model loads yet
        }
        if (decision.changes()) {
          log.info(
              "{}: {} -> {} pods: {}", key, current, decision.decidedReplicas(), decision.reason());
          scale(namespace, deployment.getMetadata().getName(), decision.decidedReplicas());
          changes.add(decision);
        }
      }
    }
    revisions.keySet().retainAll(present);
    return changes;
  }

  private static boolean ownedBy(Deployment deployment, InferenceService isvc) {
    return deployment.getMetadata().getOwnerReferences() != null
        && deployment.getMetadata().getOwnerReferences().stream()
            .anyMatch(
                owner ->
                    "InferenceService".equals(owner.getKind())
                        && owner.getUid() != null
                        && owner.getUid().equals(isvc.getMetadata().getUid()));
  }

  private void scale(String namespace, String deployment, int replicas) {
    try {
      client.apps().deployments().inNamespace(namespace).withName(deployment).scale(replicas);
    } catch (KubernetesClientException e) {
      log.warn("cannot scale {}/{} to {}: {}", namespace, deployment, replicas, e.getMessage());
    }
  }
}
