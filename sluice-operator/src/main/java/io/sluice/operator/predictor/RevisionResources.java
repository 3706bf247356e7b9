package io.sluice.operator.predictor;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.EndpointSubsetBuilder;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.ModelSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The desired objects of one predictor revision: a ConfigMap with the Sluice configuration, a
 * Deployment of Sluice pods serving the model, and a Service in front of them; and the {@code
 * {isvc}-predictor} Service. Pure functions of the InferenceService and its plan; the reconciler
 * applies them.
 */
public final class RevisionResources {
  private static final String CONFIG_PATH = "/etc/sluice";
  private static final String ALIAS_SECOND_PORT_NAME = "http-alt";

  /**
   * Liveness waits until the server first answers (up to 10 minutes: a model downloaded at start):
   * a node busy starting many pods must not kill them for being slow to start.
   */
  private static final Probe STARTING =
      new ProbeBuilder()
          .withNewHttpGet()
          .withPath("/v2/health/live")
          .withPort(new IntOrString(Naming.PORT))
          .endHttpGet()
          .withPeriodSeconds(2)
          .withTimeoutSeconds(5)
          .withFailureThreshold(300)
          .build();

  /**
   * The restricted Pod Security Standard for a predictor's container: no privilege escalation, no
   * capabilities, a read-only root (writes go to {@code /tmp} and the model cache, both emptyDirs).
   */
  private static final SecurityContext RESTRICTED =
      new SecurityContextBuilder()
          .withAllowPrivilegeEscalation(false)
          .withReadOnlyRootFilesystem(true)
          .withNewCapabilities()
          .withDrop("ALL")
          .endCapabilities()
          .build();

  private RevisionResources() {}

  public static ConfigMap configMap(InferenceService isvc, PredictorPlan plan, String revision) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(revision)
        .withNamespace(namespace(isvc))
        .withLabels(labels(isvc, revision))
        .withOwnerReferences(owner(isvc))
        .endMetadata()
        .addToData("sluice.yaml", Serialization.asYaml(plan.sluiceConfig()))
        .build();
  }

  public static Deployment deployment(
      InferenceService isvc, PredictorPlan plan, String revision, int replicas) {
    ModelSpec model = plan.predictor().model;
    Map<String, String> podLabels = new LinkedHashMap<>();
    if (plan.predictor().labels != null) {
      podLabels.putAll(plan.predictor().labels);
    }
    podLabels.putAll(labels(isvc, revision));
    List<VolumeMount> mounts = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder()
            .withName("sluice-config")
            .withMountPath(CONFIG_PATH)
            .withReadOnly(true)
            .build());
    volumes.add(
        new VolumeBuilder()
            .withName("sluice-config")
            .withNewConfigMap()
            .withName(revision)
            .endConfigMap()
            .build());
    if (plan.claim() != null) {
      mounts.add(
          new VolumeMountBuilder()
              .withName("model-store")
              .withMountPath(PredictorPlan.MODEL_MOUNT)
              .withReadOnly(true)
              .build());
      volumes.add(
          new VolumeBuilder()
              .withName("model-store")
              .withNewPersistentVolumeClaim()
              .withClaimName(plan.claim())
              .withReadOnly(true)
              .endPersistentVolumeClaim()
              .build());
    }
    mounts.add(
        new VolumeMountBuilder()
            .withName("model-cache")
            .withMountPath(PredictorPlan.MODEL_CACHE)
            .build());
    volumes.add(
        new VolumeBuilder().withName("model-cache").withNewEmptyDir().endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    List<String> args =
        new ArrayList<>(List.of("serve", "--config", CONFIG_PATH + "/sluice.yaml", "--no-watch"));
    args.addAll(plan.runtimeArgs());
    if (model.args != null) {
      args.addAll(model.args);
    }
    Container container =
        new ContainerBuilder()
            .withName(Naming.CONTAINER)
            .withImage(plan.image())
            .withImagePullPolicy("IfNotPresent")
            .withArgs(args)
            .addNewPort()
            .withName("http")
            .withContainerPort(Naming.PORT)
            .withProtocol("TCP")
            .endPort()
            .withEnv(model.env == null ? List.of() : model.env)
            .addNewEnv()
            .withName("SLUICE_MODELS")
            .withValue(PredictorPlan.MODEL_CACHE)
            .endEnv()
            .addNewEnv()
            .withName("HF_HUB_CACHE")
            .withValue(PredictorPlan.MODEL_CACHE + "/huggingface")
            .endEnv()
            .addNewEnv()
            .withName("PROTOCOL_VERSION")
            .withValue(
                model.protocolVersion == null
                    ? "v2"
                    : Serialization.asJson(model.protocolVersion).replace("\"", ""))
            .endEnv()
            .withResources(model.resources)
            .withVolumeMounts(mounts)
            .withTerminationMessagePolicy("FallbackToLogsOnError")
            .withSecurityContext(RESTRICTED)
            .withReadinessProbe(probe("/v2/health/ready", 1))
            .withStartupProbe(STARTING)
            .withLivenessProbe(probe("/v2/health/live", 30))
            .build();
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(revision)
        .withNamespace(namespace(isvc))
        .withLabels(labels(isvc, revision))
        .addToAnnotations(Naming.SPEC_HASH_ANNOTATION, plan.specHash())
        .withOwnerReferences(owner(isvc))
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .addToMatchLabels(Naming.REVISION_LABEL, revision)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(podLabels)
        .withAnnotations(plan.predictor().annotations)
        .endMetadata()
        .withNewSpec()
        // a model server has no business with the API server, unless given an identity of its own
        .withServiceAccountName(plan.predictor().serviceAccountName)
        .withAutomountServiceAccountToken(plan.predictor().serviceAccountName != null)
        .withImagePullSecrets(plan.predictor().imagePullSecrets)
        .withAffinity(plan.predictor().affinity)
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .withContainers(container)
        .withVolumes(volumes)
        .withNodeSelector(plan.predictor().nodeSelector)
        .withTolerations(plan.predictor().tolerations)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /** An accelerator pool's configuration: every member's model. */
  public static ConfigMap poolConfigMap(
      AcceleratorPool pool, String namespace, List<InferenceService> owners) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(pool.name())
        .withNamespace(namespace)
        .withLabels(poolLabels(pool))
        .withOwnerReferences(poolOwners(owners))
        .endMetadata()
        .addToData("sluice.yaml", Serialization.asYaml(pool.sluiceConfig()))
        .build();
  }

  /**
   * An accelerator pool's one pod, holding one whole device for its members to share; it restarts
   * (the config digest in its template changes) when members come or go.
   */
  public static Deployment poolDeployment(
      AcceleratorPool pool, String namespace, List<InferenceService> owners) {
    List<VolumeMount> mounts = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>();
    mounts.add(
        new VolumeMountBuilder()
            .withName("sluice-config")
            .withMountPath(CONFIG_PATH)
            .withReadOnly(true)
            .build());
    volumes.add(
        new VolumeBuilder()
            .withName("sluice-config")
            .withNewConfigMap()
            .withName(pool.name())
            .endConfigMap()
            .build());
    java.util.Set<String> claims = new java.util.TreeSet<>();
    pool.members().stream()
        .map(PredictorPlan::claim)
        .filter(java.util.Objects::nonNull)
        .forEach(claims::add);
    int n = 0;
    for (String claim : claims) {
      String volume = "models-" + n++;
      mounts.add(
          new VolumeMountBuilder()
              .withName(volume)
              .withMountPath(PredictorPlan.MODEL_MOUNT + "/" + claim)
              .withReadOnly(true)
              .build());
      volumes.add(
          new VolumeBuilder()
              .withName(volume)
              .withNewPersistentVolumeClaim()
              .withClaimName(claim)
              .withReadOnly(true)
              .endPersistentVolumeClaim()
              .build());
    }
    Quantity one = new Quantity("1");
    Container container =
        new ContainerBuilder()
            .withName(Naming.CONTAINER)
            .withImage(pool.image())
            .withImagePullPolicy("IfNotPresent")
            .withArgs("serve", "--config", CONFIG_PATH + "/sluice.yaml", "--no-watch")
            .addNewPort()
            .withName("http")
            .withContainerPort(Naming.PORT)
            .withProtocol("TCP")
            .endPort()
            .withNewResources()
            .addToLimits(pool.device().resource(), one)
            .addToRequests(pool.device().resource(), one)
            .endResources()
            .withVolumeMounts(mounts)
            .withReadinessProbe(probe("/v2/health/ready", 1))
            .withStartupProbe(STARTING)
            .withLivenessProbe(probe("/v2/health/live", 30))
            .build();
    String digest = Integer.toHexString(Serialization.asYaml(pool.sluiceConfig()).hashCode());
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(pool.name())
        .withNamespace(namespace)
        .withLabels(poolLabels(pool))
        .withOwnerReferences(poolOwners(owners))
        .endMetadata()
        .withNewSpec()
        .withReplicas(1)
        .withNewSelector()
        .addToMatchLabels(Naming.REVISION_LABEL, pool.name())
        .endSelector()
        .withNewStrategy()
        .withType("Recreate")
        .endStrategy() // the device is held by one pod at a time
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(poolLabels(pool))
        .addToAnnotations("serving.sluice.io/config-digest", digest)
        .endMetadata()
        .withNewSpec()
        .withContainers(container)
        .withVolumes(volumes)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * An accelerator pool's Service: port 80 to its pod; the router treats it as the members'
   * revision.
   */
  public static Service poolService(
      AcceleratorPool pool, String namespace, List<InferenceService> owners) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(pool.name())
        .withNamespace(namespace)
        .withLabels(poolLabels(pool))
        .withOwnerReferences(poolOwners(owners))
        .endMetadata()
        .withNewSpec()
        .withSelector(Map.of(Naming.REVISION_LABEL, pool.name()))
        .addNewPort()
        .withName("http")
        .withPort(80)
        .withTargetPort(new IntOrString(Naming.PORT))
        .withProtocol("TCP")
        .endPort()
        .endSpec()
        .build();
  }

  private static Map<String, String> poolLabels(AcceleratorPool pool) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Naming.POOL_LABEL, pool.pool());
    labels.put(Naming.COMPONENT_LABEL, "predictor");
    labels.put(Naming.REVISION_LABEL, pool.name());
    return labels;
  }

  /** Every member owns the pool's objects: they go when the last member does. */
  private static List<OwnerReference> poolOwners(List<InferenceService> owners) {
    return owners.stream()
        .map(
            isvc ->
                new OwnerReferenceBuilder()
                    .withApiVersion(isvc.getApiVersion())
                    .withKind(isvc.getKind())
                    .withName(isvc.getMetadata().getName())
                    .withUid(isvc.getMetadata().getUid())
                    .build())
        .toList();
  }

  /** The revision's own Service: port 80 to its pods. */
  public static Service revisionService(InferenceService isvc, String revision) {
    return service(isvc, revision, labels(isvc, revision), Map.of(Naming.REVISION_LABEL, revision));
  }

  /**
   * {@code {isvc}-predictor}: the name clients use, in front of the pods of {@code revision}, or of
   * every revision of the service when {@code revision} is null (a canary: both revisions' pods).
   */
  public static Service predictorService(InferenceService isvc, String revision) {
    String name = isvc.getMetadata().getName();
    Map<String, String> selector =
        revision == null
            ? Map.of(Naming.ISVC_LABEL, name)
            : Map.of(Naming.REVISION_LABEL, revision);
    Map<String, String> labels =
        Map.of(Naming.ISVC_LABEL, name, Naming.COMPONENT_LABEL, "predictor");
    return service(isvc, Naming.predictor(name), labels, selector);
  }

  /**
   * {@code {isvc}-predictor} as an alias of the routers (the seed's pattern, with a cluster IP): no
   * selector, its Endpoints ({@link #predictorAliasEndpoints}) are the router pods, which serve
   * every model at the root paths too.
   */
  public static Service predictorAlias(InferenceService isvc) {
    String name = isvc.getMetadata().getName();
    Service alias =
        service(
            isvc,
            Naming.predictor(name),
            Map.of(Naming.ISVC_LABEL, name, Naming.COMPONENT_LABEL, "predictor"),
            null);
    alias
        .getSpec()
        .getPorts()
        .add(
            new ServicePortBuilder()
                .withName(ALIAS_SECOND_PORT_NAME)
                .withPort(Naming.ALIAS_SECOND_PORT)
                .withTargetPort(new IntOrString(Naming.PORT))
                .withProtocol("TCP")
                .build());
    return alias;
  }

  /**
   * The Endpoints of {@link #predictorAlias}: the routers' own (their Service's ports named {@code
   * http}).
   */
  public static Endpoints predictorAliasEndpoints(
      InferenceService isvc, List<EndpointSubset> routers) {
    String name = isvc.getMetadata().getName();
    return new EndpointsBuilder()
        .withNewMetadata()
        .withName(Naming.predictor(name))
        .withNamespace(namespace(isvc))
        .withLabels(Map.of(Naming.ISVC_LABEL, name, Naming.COMPONENT_LABEL, "predictor"))
        .withOwnerReferences(owner(isvc))
        .endMetadata()
        .withSubsets(routers.stream().map(RevisionResources::withSecondPort).toList())
        .build();
  }

  /**
   * A subset of the routers' Endpoints that also answers the alias's second port (a selector-less
   * Service's ports reach the Endpoints' ports of the same name).
   */
  private static EndpointSubset withSecondPort(EndpointSubset routers) {
    List<EndpointPort> ports = new ArrayList<>(routers.getPorts());
    ports.stream()
        .filter(port -> "http".equals(port.getName()))
        .findFirst()
        .ifPresent(
            http ->
                ports.add(
                    new EndpointPortBuilder()
                        .withName(ALIAS_SECOND_PORT_NAME)
                        .withPort(http.getPort())
                        .withProtocol("TCP")
                        .build()));
    return new EndpointSubsetBuilder(routers).withPorts(ports).build();
  }

  private static Service service(
      InferenceService isvc,
      String name,
      Map<String, String> labels,
      Map<String, String> selector) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace(isvc))
        .withLabels(labels)
        .withOwnerReferences(owner(isvc))
        .endMetadata()
        .withNewSpec()
        .withSelector(selector)
        // protocol spelled out: the 1.20 API server's server-side apply needs it in the associative
        // list key
        .addNewPort()
        .withName("http")
        .withPort(80)
        .withTargetPort(new IntOrString(Naming.PORT))
        .withProtocol("TCP")
        .endPort()
        .endSpec()
        .build();
  }

  private static Probe probe(String path, int period) {
    return new ProbeBuilder()
        .withNewHttpGet()
        .withPath(path)
        .withPort(new IntOrString(Naming.PORT))
        .endHttpGet()
        .withPeriodSeconds(period)
        .withTimeoutSeconds(5)
        .withFailureThreshold(3)
        .build();
  }

  static Map<String, String> labels(InferenceService isvc, String revision) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Naming.ISVC_LABEL, isvc.getMetadata().getName());
    labels.put(Naming.COMPONENT_LABEL, "predictor");
    labels.put(Naming.REVISION_LABEL, revision);
    return labels;
  }

  private static String namespace(HasMetadata owner) {
    return owner.getMetadata().getNamespace();
  }

  private static OwnerReference owner(InferenceService isvc) {
    return new OwnerReferenceBuilder()
        .withApiVersion(isvc.getApiVersion())
        .withKind(isvc.getKind())
        .withName(isvc.getMetadata().getName())
        .withUid(isvc.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }
}
