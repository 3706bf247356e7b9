package io.sluice.operator;

import static io.sluice.operator.IsvcFixtures.isvc;
import static io.sluice.operator.IsvcFixtures.onnx;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.predictor.AcceleratorPool;
import io.sluice.operator.predictor.PredictorPlan;
import io.sluice.operator.predictor.RevisionResources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PredictorPlanTest {
  @Test
  void aPvcModelBecomesAMountedPathInTheSluiceConfiguration() {
    InferenceService service =
        onnx(
            "mnist",
            "pvc://models-pvc/mnist/model.onnx",
            """
        containerConcurrency: 4
        timeout: 30
        batcher: {maxBatchSize: 16, maxLatency: 3}""");
    PredictorPlan plan = PredictorPlan.of(service, "k8s.local/sluice:dev", List.of());
    assertThat(plan.problems()).isEmpty();
    assertThat(plan.claim()).isEqualTo("models-pvc");
    assertThat(plan.modelPath()).isEqualTo("/mnt/models/mnist/model.onnx");
    assertThat(Serialization.asYaml(plan.sluiceConfig()))
        .contains("runtime: \"onnx\"")
        .contains("storageUri: \"/mnt/models/mnist/model.onnx\"")
        .contains("maxOngoingRequests: 4")
        .contains("requestTimeout: \"30s\"")
        .contains("maxBatchSize: 16")
        .contains("batchWaitTimeout: \"3ms\"")
        .contains("port: 8080");

    Deployment deployment = RevisionResources.deployment(service, plan, "mnist-predictor-00001", 1);
    var pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().getFirst().getName()).isEqualTo("kserve-container");
    assertThat(pod.getContainers().getFirst().getArgs())
        .startsWith("serve", "--config", "/etc/sluice/sluice.yaml");
    assertThat(pod.getVolumes())
        .filteredOn(volume -> volume.getPersistentVolumeClaim() != null)
        .extracting(volume -> volume.getPersistentVolumeClaim().getClaimName())
        .containsExactly("models-pvc");
    assertThat(deployment.getMetadata().getLabels())
        .containsEntry("serving.kserve.io/inferenceservice", "mnist");
    assertThat(deployment.getMetadata().getOwnerReferences().getFirst().getKind())
        .isEqualTo("InferenceService");
    // the restricted Pod Security Standard, and no API token
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var container = pod.getContainers().getFirst().getSecurityContext();
    assertThat(container.getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(pod.getContainers().getFirst().getVolumeMounts())
        .extracting(mount -> mount.getMountPath())
        .contains("/tmp");
    // a slow start (a busy node, a download) is not a dead server
    var startup = pod.getContainers().getFirst().getStartupProbe();
    assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold())
        .isGreaterThanOrEqualTo(600);
  }

  @Test
  void aServiceAccountPullSecretsAndAffinityShapeThePods() {
    InferenceService service =
        onnx(
            "mnist",
            "s3://models/mnist.onnx",
            """
        serviceAccountName: model-reader
        imagePullSecrets: [{name: registry}]
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms: [{matchExpressions: [{key: gpu, operator: Exists}]}]""");
    PredictorPlan plan = PredictorPlan.of(service, "k8s.local/sluice:dev", List.of());
    assertThat(plan.problems()).isEmpty();
    var pod =
        RevisionResources.deployment(service, plan, "mnist-predictor-00001", 1)
            .getSpec()
            .getTemplate()
            .getSpec();
    assertThat(pod.getServiceAccountName()).isEqualTo("model-reader");
    assertThat(pod.getAutomountServiceAccountToken()).isTrue();
    assertThat(pod.getImagePullSecrets())
        .extracting(secret -> secret.getName())
        .containsExactly("registry");
    assertThat(
            pod.getAffinity()
                .getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms()
                .getFirst()
                .getMatchExpressions()
                .getFirst()
                .getKey())
        .isEqualTo("gpu");
  }

  @Test
  void remoteStorageIsFetchedByThePodIntoItsCacheWithCredentialsFromTheModelsEnv() {
    for (String uri :
        List.of(
            "s3://models/mnist/v1",
            "hf://acme/bge-small",
            "https://example.test/m.onnx#sha256=" + "a".repeat(64))) {
      InferenceService service = onnx("m", uri, "");
      service.getSpec().predictor.model.env =
          List.of(
              new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                  .withName("AWS_SECRET_ACCESS_KEY")
                  .withNewValueFrom()
                  .withNewSecretKeyRef("secret", "storage", false)
                  .endValueFrom()
                  .build());
      PredictorPlan plan = PredictorPlan.of(service, "img", List.of());
      assertThat(plan.problems()).isEmpty();
      assertThat(Serialization.asYaml(plan.sluiceConfig())).contains("storageUri: \"" + uri + "\"");
      var pod =
          RevisionResources.deployment(service, plan, "m-predictor-00001", 1)
              .getSpec()
              .getTemplate()
              .getSpec();
      var container = pod.getContainers().getFirst();
      assertThat(container.getEnv())
          .extracting(io.fabric8.kubernetes.api.model.EnvVar::getName)
          .contains("AWS_SECRET_ACCESS_KEY", "SLUICE_MODELS", "HF_HUB_CACHE");
      assertThat(container.getVolumeMounts())
          .extracting(m -> m.getMountPath())
          .contains(PredictorPlan.MODEL_CACHE);
      assertThat(pod.getVolumes())
          .filteredOn(v -> v.getName().equals("model-cache"))
          .allMatch(v -> v.getEmptyDir() != null)
          .hasSize(1);
    }
  }

  @Test
  void unsupportedFieldsAreNamedNotIgnored() {
    InferenceService service =
        isvc(
            """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: x, namespace: models}
        spec:
          transformer: {containers: [{name: t, image: t}]}
          predictor:
            logger: {mode: all}
            model:
              modelFormat: {name: sklearn}
              storageUri: gs://bucket/model
              storage: {key: k}
        """);
    assertThat(PredictorPlan.of(service, "img", List.of()).problems())
        .containsExactly(
            "spec.transformer is not supported by Sluice",
            "spec.predictor.logger is not supported by Sluice",
            "spec.predictor.model.storage is not supported by Sluice",
            "spec.predictor.model.modelFormat.name 'sklearn' is not served by Sluice; it serves [embeddings, espeak, gguf,"
                + " llama, marytts, onnx, reranker, sentence-transformers, vosk, whisper]",
            "spec.predictor.model.storageUri 'gs://bucket/model': Sluice pods read pvc://, file paths in the image, https://, http://, hf://,"
                + " s3:// and mvn://");
    // what was not understood is kept, so the object round-trips unchanged
    assertThat(Serialization.asYaml(service)).contains("logger").contains("transformer");
  }

  @Test
  void trafficAndReplicaChangesKeepTheRevisionAModelChangeMakesANewOne() {
    String base = PredictorPlan.of(onnx("m", "pvc://c/a.onnx", ""), "img", List.of()).specHash();
    assertThat(
            PredictorPlan.of(
                    onnx("m", "pvc://c/a.onnx", "canaryTrafficPercent: 25\nmaxReplicas: 3"),
                    "img",
                    List.of())
                .specHash())
        .isEqualTo(base);
    assertThat(PredictorPlan.of(onnx("m", "pvc://c/b.onnx", ""), "img", List.of()).specHash())
        .isNotEqualTo(base);
    assertThat(
            PredictorPlan.of(onnx("m", "pvc://c/a.onnx", ""), "other-image", List.of()).specHash())
        .isNotEqualTo(base);
    assertThat(
            Map.of(
                "min",
                PredictorPlan.of(onnx("m", "pvc://c/a.onnx", "maxReplicas: 0"), "img", List.of())
                    .maxReplicas()))
        .containsEntry("min", 1);
  }

  private static InferenceService gpu(String name, String amount, String pool) {
    InferenceService service = onnx(name, "pvc://models/" + name + ".onnx", "");
    service.getSpec().predictor.model.resources =
        new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
            .addToLimits("nvidia.com/gpu", new io.fabric8.kubernetes.api.model.Quantity(amount))
            .build();
    java.util.Map<String, String> annotations =
        new java.util.HashMap<>(java.util.Map.of(PredictorPlan.MEMORY_ANNOTATION, "16Gi"));
    if (pool != null) {
      annotations.put(PredictorPlan.POOL_ANNOTATION, pool);
    }
    service.getMetadata().setAnnotations(annotations);
    return service;
  }

  @Test
  void wholeAcceleratorsArePlacedInsideThePodAndFractionsNeedAPool() {
    PredictorPlan whole = PredictorPlan.of(gpu("a", "2", null), "img", List.of());
    assertThat(whole.problems()).isEmpty();
    assertThat(Serialization.asYaml(whole.sluiceConfig()))
        .contains("gpus: 2.0")
        .contains("vendor: \"nvidia\"")
        .contains("id: \"nvidia1\"")
        .contains("memory: \"16Gi\"");
    assertThat(PredictorPlan.of(gpu("b", "0.5", null), "img", List.of()).problems())
        .singleElement()
        .asString()
        .contains("is a fraction of a device")
        .contains(PredictorPlan.POOL_ANNOTATION);
    assertThat(PredictorPlan.of(gpu("c", "1.5", null), "img", List.of()).problems())
        .singleElement()
        .asString()
        .contains("a fraction of one device (0 < n < 1) or a whole number");
    assertThat(PredictorPlan.of(gpu("d", "1", "shared"), "img", List.of()).problems())
        .singleElement()
        .asString()
        .contains("a pool shares one device");
  }

  @Test
  void anAcceleratorPoolWhoseSharesExceedTheDeviceAdmitsThemAllToTakeTurns() {
    List<PredictorPlan> plans =
        List.of(
            PredictorPlan.of(gpu("asr", "0.5", "shared"), "img", List.of()),
            PredictorPlan.of(gpu("tts", "0.5", "shared"), "img", List.of()),
            PredictorPlan.of(gpu("llm", "0.8", "shared"), "img", List.of()));
    AcceleratorPool pool = AcceleratorPool.of("shared", plans);
    assertThat(pool.members()).extracting(PredictorPlan::isvc).containsExactly("asr", "tts", "llm");
    assertThat(pool.refused()).isEmpty();
    assertThat(pool.swaps()).as("0.5 + 0.5 + 0.8 > 1").isTrue();
    String config = Serialization.asYaml(pool.sluiceConfig());
    assertThat(config)
        .contains("name: \"asr\"")
        .contains("name: \"tts\"")
        .contains("name: \"llm\"")
        .contains("gpus: 0.8")
        .contains("gpus: 0.5")
        .contains("storageUri: \"/mnt/models/models/asr.onnx\"")
        .contains("id: \"nvidia0\"");
    assertThat(config.split("keepAlive: \"-1\"", -1)).as("every member loads on demand").hasSize(4);
    assertThat(pool.name()).isEqualTo("sluice-pool-shared");

    AcceleratorPool fitting = AcceleratorPool.of("shared", plans.subList(0, 2));
    assertThat(fitting.swaps()).isFalse();
    assertThat(Serialization.asYaml(fitting.sluiceConfig())).doesNotContain("keepAlive");
  }
}
