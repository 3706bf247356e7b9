package io.sluice.operator.reconcile;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.sluice.operator.crd.ClusterServingRuntime;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.InferenceServiceStatus;
import io.sluice.operator.crd.ServingRuntime;
import io.sluice.operator.crd.ServingRuntimeSpec;
import io.sluice.operator.predictor.AcceleratorPool;
import io.sluice.operator.predictor.Naming;
import io.sluice.operator.predictor.Ownership;
import io.sluice.operator.predictor.PredictorPlan;
import io.sluice.operator.predictor.RevisionResources;
import io.sluice.operator.route.RoutedServices;
import io.sluice.operator.route.ShadowAnnotations;
import io.sluice.operator.scale.ScalingSettings;
import io.sluice.operator.status.ServiceEvents;
import io.sluice.operator.status.StatusBuilder;
import io.sluice.operator.status.Traffic;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles an InferenceService into predictor revisions (a ConfigMap, Deployment and Service
 * each, named {@code {isvc}-predictor-NNNNN}), the {@code {isvc}-predictor} Service, and KServe's
 * status. A changed predictor spec (other than traffic and replica bounds) makes a new revision;
 * the latest takes all traffic once ready, or its {@code canaryTrafficPercent} while the previous
 * one keeps the rest; revisions no traffic reaches are deleted. Everything it creates is owned by
 * the InferenceService, so deleting it deletes them.
 */
@ControllerConfiguration(name = "inferenceservice")
public final class InferenceServiceReconciler implements Reconciler<InferenceService> {
  private static final Logger log = LoggerFactory.getLogger(InferenceServiceReconciler.class);

  /** A fallback: Deployment events reconcile at once. */
  private static final Duration WHILE_NOT_READY = Duration.ofSeconds(10);

  /** A safety net: every change of the service or of what it owns reconciles it at once. */
  private static final Duration ALWAYS = Duration.ofMinutes(10);

  /** The routers report what they serve every second. */
  private static final Duration UNTIL_ROUTED = Duration.ofSeconds(1);

  /** An accelerator pool's Deployment has no event source of its own: its readiness is polled. */
  private static final Duration POOL_NOT_READY = Duration.ofSeconds(3);

  private final KubernetesClient client;
  private final String defaultImage;
  private final boolean routed;
  private final Clock clock;
  private final RoutedServices routes;
  private final ServiceEvents events;

  /**
   * @param defaultImage the Sluice image predictors run when the service names no ServingRuntime
   * @param routed whether {@code {isvc}-predictor} is an alias of the routers ({@link
   *     io.sluice.operator.route.PredictorAliases} keeps its Endpoints) rather than a Service over
   *     the pods
   */
  public InferenceServiceReconciler(
      KubernetesClient client,
      String defaultImage,
      boolean routed,
      RoutedServices routes,
      Clock clock) {
    this.client = client;
    this.defaultImage = defaultImage;
    this.routed = routed;
    this.routes = routes;
    this.clock = clock;
    this.events = new ServiceEvents(client, clock);
  }

  /**
   * What a service owns: its revisions' Deployments, so that a pod becoming ready (or going)
   * reconciles it at once, and its Services and ConfigMaps, so that one changed or deleted by hand
   * is repaired at once.
   */
  @Override
  public List<EventSource<?, InferenceService>> prepareEventSources(
      EventSourceContext<InferenceService> context) {
    return List.of(
        owned(Deployment.class, context),
        owned(Service.class, context),
        owned(io.fabric8.kubernetes.api.model.ConfigMap.class, context));
  }

  private static <R extends HasMetadata> EventSource<R, InferenceService> owned(
      Class<R> kind, EventSourceContext<InferenceService> context) {
    return new InformerEventSource<>(
        InformerEventSourceConfiguration.from(kind, InferenceService.class)
            .withName(kind.getSimpleName())
            .withLabelSelector(Naming.ISVC_LABEL)
            .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(InferenceService.class))
            .build(),
        context);
  }

  @Override
  public UpdateControl<InferenceService> reconcile(
      InferenceService isvc, Context<InferenceService> context) {
    try {
      return reconcileOwned(isvc);
    } catch (ForeignObjectException e) {
      log.info(
          "{}/{} refused: {}",
          isvc.getMetadata().getNamespace(),
          isvc.getMetadata().getName(),
          e.getMessage());
      return update(
          isvc,
          new StatusBuilder(isvc.getStatus(), isvc.getMetadata().getGeneration(), clock.instant())
              .refused(List.of(e.getMessage())),
          ALWAYS);
    }
  }

  private UpdateControl<InferenceService> reconcileOwned(InferenceService isvc) {
    String name = isvc.getMetadata().getName();
    String namespace = isvc.getMetadata().getNamespace();
    StatusBuilder status =
        new StatusBuilder(isvc.getStatus(), isvc.getMetadata().getGeneration(), clock.instant());
    List<String> problems = new ArrayList<>();
    PredictorPlan plan = plan(isvc, problems);
    if (!problems.isEmpty()) {
      log.info("{}/{} refused: {}", namespace, name, problems);
      return update(isvc, status.refused(problems), ALWAYS);
    }

    if (plan.pool() != null) {
      return reconcilePooled(isvc, plan, status);
    }

    List<Deployment> revisions =
        client
            .apps()
            .deployments()
            .inNamespace(namespace)
            .withLabel(Naming.ISVC_LABEL, name)
            .list()
            .getItems()
            .stream()
            .filter(d -> Naming.revisionNumber(name, d.getMetadata().getName()) > 0)
            .sorted(
                Comparator.comparingInt(
                    d -> Naming.revisionNumber(name, d.getMetadata().getName())))
            .collect(java.util.stream.Collectors.toCollection(ArrayList::new));
    revisions.replaceAll(this::markReadyOnce);
    Deployment latest = revisions.isEmpty() ? null : revisions.getLast();
    if (latest == null
        || !plan.specHash()
            .equals(latest.getMetadata().getAnnotations().get(Naming.SPEC_HASH_ANNOTATION))) {
      int number =
          latest == null ? 1 : Naming.revisionNumber(name, latest.getMetadata().getName()) + 1;
      String revision = Naming.revision(name, number);
      log.info("{}/{}: new revision {}", namespace, name, revision);
      apply(RevisionResources.configMap(isvc, plan, revision));
      // one pod to start with even when it may scale to zero (KServe's initial scale): it proves
      // the model loads
      latest =
          apply(
              RevisionResources.deployment(isvc, plan, revision, Math.max(1, plan.minReplicas())));
      apply(RevisionResources.revisionService(isvc, revision));
      revisions.add(latest);
    }
    for (Deployment deployment :
        revisions) { // the LoadScaler moves replicas within the bounds; keep them inside
      int replicas =
          deployment.getSpec().getReplicas() == null ? 1 : deployment.getSpec().getReplicas();
      int bounded = Math.max(plan.minReplicas(), Math.min(plan.maxReplicas(), replicas));
      if (bounded != replicas) {
        client
            .apps()
            .deployments()
            .inNamespace(namespace)
            .withName(deployment.getMetadata().getName())
            .scale(bounded);
      }
    }

    String latestName = latest.getMetadata().getName();
    boolean latestReady = ready(latest, plan.minReplicas());
    String notReady =
        latestReady
            ? null
            : "revision " + latestName + " has no ready pod yet" + podProblem(latest);
    InferenceServiceStatus.ComponentStatus before =
        isvc.getStatus() == null || isvc.getStatus().components == null
            ? null
            : isvc.getStatus().components.get("predictor");
    String rolledOut = before == null ? null : before.latestRolledoutRevision;
    Traffic traffic =
        Traffic.decide(
            revisions.stream().map(d -> d.getMetadata().getName()).toList(),
            latestReady,
            rolledOut,
            plan.predictor().canaryTrafficPercent);
    String serving =
        traffic.rolledOut() ? latestName : traffic.latestPercent() == 0 ? traffic.previous() : null;
    apply(
        routed
            ? RevisionResources.predictorAlias(isvc)
            : RevisionResources.predictorService(isvc, serving));
    for (String retired : traffic.retired()) {
      log.info("{}/{}: revision {} retired", namespace, name, retired);
      client.apps().deployments().inNamespace(namespace).withName(retired).delete();
      client.services().inNamespace(namespace).withName(retired).delete();
      client.configMaps().inNamespace(namespace).withName(retired).delete();
    }
    boolean servingReady =
        traffic.rolledOut()
            ? latestReady
            : revisions.stream()
                .filter(d -> d.getMetadata().getName().equals(traffic.previous()))
                .allMatch(d -> ready(d, plan.minReplicas()));
    String latestReadyName =
        latestReady ? latestName : before == null ? null : before.latestReadyRevision;
    String notRouted = routes.notRouted(namespace, name);
    InferenceServiceStatus next =
        status.serving(
            Naming.url(Naming.predictor(name), namespace),
            traffic,
            latestReadyName,
            servingReady,
            notReady != null ? notReady : "revision " + traffic.previous() + " has no ready pod",
            notReady,
            notRouted);
    return update(
        isvc,
        next,
        notRouted != null ? UNTIL_ROUTED : latestReady && servingReady ? ALWAYS : WHILE_NOT_READY);
  }

  /**
   * A service asking for a fraction of an accelerator: it is served by its pool's one pod (rebuilt
   * from every service of the pool in its namespace, oldest first), or refused with the reason when
   * its share does not fit.
   */
  private UpdateControl<InferenceService> reconcilePooled(
      InferenceService isvc, PredictorPlan plan, StatusBuilder status) {
    String name = isvc.getMetadata().getName();
    String namespace = isvc.getMetadata().getNamespace();
    List<InferenceService> candidates =
        client.resources(InferenceService.class).inNamespace(namespace).list().getItems().stream()
            .filter(
                other ->
                    other.getMetadata().getDeletionTimestamp() == null
                        && other.getMetadata().getAnnotations() != null
                        && plan.pool()
                            .equals(
                                other
                                    .getMetadata()
                                    .getAnnotations()
                                    .get(PredictorPlan.POOL_ANNOTATION)))
            .sorted(
                Comparator.comparing(
                        (InferenceService other) -> other.getMetadata().getCreationTimestamp(),
                        Comparator.nullsLast(Comparator.naturalOrder()))
                    .thenComparing(other -> other.getMetadata().getName()))
            .toList();
    List<PredictorPlan> plans = new ArrayList<>();
    for (InferenceService other : candidates) {
      PredictorPlan candidate = other.getMetadata().getName().equals(name) ? plan : planOf(other);
      if (candidate != null) {
        plans.add(candidate);
      }
    }
    AcceleratorPool pool = AcceleratorPool.of(plan.pool(), plans);
    List<String> memberNames = pool.members().stream().map(PredictorPlan::isvc).toList();
    List<InferenceService> owners =
        candidates.stream().filter(c -> memberNames.contains(c.getMetadata().getName())).toList();
    if (!owners.isEmpty()) {
      apply(RevisionResources.poolConfigMap(pool, namespace, owners));
      apply(RevisionResources.poolDeployment(pool, namespace, owners));
      apply(RevisionResources.poolService(pool, namespace, owners));
    }
    String refusal = pool.refused().get(name);
    if (refusal != null) {
      log.info("{}/{} refused: {}", namespace, name, refusal);
      return update(isvc, status.refused(List.of(refusal)), ALWAYS);
    }
    apply(
        routed
            ? RevisionResources.predictorAlias(isvc)
            : RevisionResources.predictorService(isvc, pool.name()));
    Deployment pod = client.apps().deployments().inNamespace(namespace).withName(pool.name()).get();
    boolean ready =
        pod != null
            && ready(pod, 1)
            && Objects.equals(
                pod.getStatus().getObservedGeneration(), pod.getMetadata().getGeneration())
            && Objects.equals(
                pod.getStatus().getUpdatedReplicas(), pod.getStatus().getReadyReplicas());
    InferenceServiceStatus next =
        status.serving(
            Naming.url(Naming.predictor(name), namespace),
            new Traffic(pool.name(), null, 100, List.of()),
            ready ? pool.name() : null,
            ready,
            "accelerator pool " + pool.name() + " has no ready pod with this model yet",
            ready
                ? null
                : "accelerator pool " + pool.name() + " has no ready pod with this model yet",
            routes.notRouted(namespace, name));
    return update(isvc, next, ready ? ALWAYS : POOL_NOT_READY);
  }

  /** Another service's plan, or null when it cannot be served (its own reconcile reports why). */
  private PredictorPlan planOf(InferenceService isvc) {
    List<String> problems = new ArrayList<>();
    PredictorPlan plan = plan(isvc, problems);
    return problems.isEmpty() ? plan : null;
  }

  /**
   * The service's plan on its ServingRuntime's image (or Sluice's); adds every reason it cannot be
   * served.
   */
  private PredictorPlan plan(InferenceService isvc, List<String> problems) {
    ServingRuntimeSpec runtime = servingRuntime(isvc, problems);
    String image = defaultImage;
    List<String> args = List.of();
    if (runtime != null && runtime.containers != null && !runtime.containers.isEmpty()) {
      image = runtime.containers.getFirst().getImage();
      args =
          runtime.containers.getFirst().getArgs() == null
              ? List.of()
              : runtime.containers.getFirst().getArgs();
    }
    PredictorPlan plan = PredictorPlan.of(isvc, image, args);
    problems.addAll(plan.problems());
    for (String annotationProblem :
        new String[] {
          ScalingSettings.problem(isvc.getMetadata().getAnnotations()),
          ShadowAnnotations.problem(isvc.getMetadata().getAnnotations())
        }) {
      if (annotationProblem != null) {
        problems.add(annotationProblem);
      }
    }
    return plan;
  }

  /**
   * Whether a revision can take traffic: it has a ready pod, or (when it may scale to zero) it has
   * had one, which proves its model loads.
   */
  private static boolean ready(Deployment deployment, int minReplicas) {
    return readyNow(deployment) || minReplicas == 0 && Naming.readyOnce(deployment);
  }

  private static boolean readyNow(Deployment deployment) {
    Integer ready =
        deployment.getStatus() == null ? null : deployment.getStatus().getReadyReplicas();
    return ready != null && ready > 0;
  }

  /** Marks a revision with a ready pod as proven ({@link Naming#READY_ONCE_ANNOTATION}). */
  private Deployment markReadyOnce(Deployment deployment) {
    if (!readyNow(deployment) || Naming.readyOnce(deployment)) {
      return deployment;
    }
    return client
        .apps()
        .deployments()
        .inNamespace(deployment.getMetadata().getNamespace())
        .withName(deployment.getMetadata().getName())
        .edit(
            d -> {
              d.getMetadata().getAnnotations().put(Naming.READY_ONCE_ANNOTATION, "true");
              return d;
            });
  }

  /**
   * Why a revision's pods are not ready, when a container says (a crash, an image that cannot be
   * pulled): {@code ": kserve-container CrashLoopBackOff: ..."}, else "".
   */
  private String podProblem(Deployment revision) {
    try {
      for (Pod pod :
          client
              .pods()
              .inNamespace(revision.getMetadata().getNamespace())
              .withLabel(Naming.REVISION_LABEL, revision.getMetadata().getName())
              .list()
              .getItems()) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
          continue;
        }
        for (ContainerStatus container : pod.getStatus().getContainerStatuses()) {
          String problem = containerProblem(container);
          if (problem != null) {
            return ": " + container.getName() + " " + problem;
          }
        }
      }
    } catch (KubernetesClientException e) {
      log.debug("cannot read the pods of {}: {}", revision.getMetadata().getName(), e.toString());
    }
    return "";
  }

  private static String containerProblem(ContainerStatus container) {
    if (container.getState() != null && container.getState().getWaiting() != null) {
      var waiting = container.getState().getWaiting();
      if (!"ContainerCreating".equals(waiting.getReason())) {
        var last =
            container.getLastState() == null ? null : container.getLastState().getTerminated();
        return waiting.getReason()
            + (last != null && last.getMessage() != null
                ? ": " + last.getMessage().strip()
                : waiting.getMessage() != null ? ": " + waiting.getMessage() : "");
      }
    }
    if (container.getRestartCount() != null && container.getRestartCount() > 0) {
      var last = container.getLastState() == null ? null : container.getLastState().getTerminated();
      if (last != null) {
        return "restarted "
            + container.getRestartCount()
            + " times, last exit "
            + last.getExitCode()
            + (last.getMessage() != null ? ": " + last.getMessage().strip() : "");
      }
    }
    return null;
  }

  private ServingRuntimeSpec servingRuntime(InferenceService isvc, List<String> problems) {
    String name =
        isvc.getSpec() == null
                || isvc.getSpec().predictor == null
                || isvc.getSpec().predictor.model == null
            ? null
            : isvc.getSpec().predictor.model.runtime;
    if (name == null || name.equals("sluice")) {
      return null;
    }
    ServingRuntime namespaced =
        client
            .resources(ServingRuntime.class)
            .inNamespace(isvc.getMetadata().getNamespace())
            .withName(name)
            .get();
    if (namespaced != null) {
      return namespaced.getSpec();
    }
    ClusterServingRuntime cluster =
        client.resources(ClusterServingRuntime.class).withName(name).get();
    if (cluster != null) {
      return cluster.getSpec();
    }
    problems.add(
        "spec.predictor.model.runtime '"
            + name
            + "' names no ServingRuntime or ClusterServingRuntime");
    return null;
  }

  /**
   * Creates or replaces an object, keeping what the API server assigned (a Service's cluster IPs);
   * one of the same name that Sluice did not create for this service is left alone ({@link
   * ForeignObjectException}).
   */
  private <T extends HasMetadata> T apply(T desired) {
    String hash = Ownership.hash(desired);
    if (desired.getMetadata().getAnnotations() == null) {
      desired.getMetadata().setAnnotations(new java.util.LinkedHashMap<>());
    }
    desired.getMetadata().getAnnotations().put(Ownership.APPLIED_ANNOTATION, hash);
    T current = client.resource(desired).get();
    if (current == null) {
      return client.resource(desired).create();
    }
    if (!Ownership.sharesOwner(current, desired)) {
      throw new ForeignObjectException(current);
    }
    if (current.getMetadata().getAnnotations() != null
        && hash.equals(current.getMetadata().getAnnotations().get(Ownership.APPLIED_ANNOTATION))) {
      return current; // as written last time: no write, no event for every watcher
    }
    if (desired instanceof Service service && current instanceof Service existing) {
      service.getSpec().setClusterIP(existing.getSpec().getClusterIP());
      service.getSpec().setClusterIPs(existing.getSpec().getClusterIPs());
    }
    desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
    return client.resource(desired).update();
  }

  private UpdateControl<InferenceService> update(
      InferenceService isvc, InferenceServiceStatus next, Duration after) {
    if (next.equals(isvc.getStatus())) {
      return UpdateControl.<InferenceService>noUpdate().rescheduleAfter(after);
    }
    events.changed(isvc, next);
    // The whole status replaced on the version read now (a conflict fails the reconcile, which is
    // retried): a patch computed from a cached copy could add a list's items twice.
    InferenceService fresh =
        client
            .resources(InferenceService.class)
            .inNamespace(isvc.getMetadata().getNamespace())
            .withName(isvc.getMetadata().getName())
            .get();
    if (fresh != null) {
      fresh.setStatus(next);
      client.resource(fresh).updateStatus();
    }
    return UpdateControl.<InferenceService>noUpdate().rescheduleAfter(after);
  }
}
