package io.sluice.operator;

import static io.sluice.operator.DevCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.sluice.operator.crd.InferenceService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fractional accelerators on the real dev cluster: the node advertises one {@code nvidia.com/gpu}
 * (an extended resource set on its status, as for hardware the scheduler cannot see: this machine
 * has no GPU, so the models run on the CPU), two InferenceServices asking for 0.5 each share one
 * pool pod that holds the device and answer inference, and a third asking for 0.8 is refused with a
 * condition saying why.
 */
@Tag("slow")
class AcceleratorPoolClusterTest {
  private static final String NAMESPACE = "sluice-gpu-e2e";
  private static final String GPU = "nvidia.com/gpu";

  private static InferenceService pooled(DevCluster cluster, String name, String share) {
    return IsvcFixtures.isvc(
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: %1$s
          namespace: %2$s
          annotations: {serving.sluice.io/accelerator-pool: shared, serving.sluice.io/accelerator-memory: 16Gi}
        spec:
          predictor:
            model:
              modelFormat: {name: onnx}
              storageUri: pvc://models/linear/v1.onnx
              resources: {limits: {nvidia.com/gpu: "%3$s"}}
        """
            .formatted(name, cluster.namespace, share));
  }

  private static void advertise(DevCluster cluster, String node, String amount) {
    cluster
        .client
        .nodes()
        .withName(node)
        .editStatus(
            n -> {
              if (amount == null) {
                n.getStatus().getCapacity().remove(GPU);
                n.getStatus().getAllocatable().remove(GPU);
              } else {
                n.getStatus().getCapacity().put(GPU, new Quantity(amount));
                n.getStatus().getAllocatable().put(GPU, new Quantity(amount));
              }
              return n;
            });
  }

  @Test
  void twoHalvesShareOnePodsDeviceAndAThirdShareIsRefused() throws Exception {
    try (DevCluster cluster = DevCluster.open(NAMESPACE)) {
      String node = cluster.client.nodes().list().getItems().getFirst().getMetadata().getName();
      advertise(cluster, node, "1");
      Operator operator =
          OperatorMain.start(
              new KubernetesClientBuilder()
                  .withConfig(Config.fromKubeconfig(Files.readString(Path.of(cluster.kubeconfig))))
                  .build(),
              System.getenv().getOrDefault("SLUICE_IMAGE", "k8s.local/sluice:dev"));
      try {
        cluster.client.resource(pooled(cluster, "asr", "0.5")).create();
        cluster.client.resource(pooled(cluster, "tts", "500m")).create();
        cluster.awaitHere(
            "both READY",
            () -> cluster.ready("asr") && cluster.ready("tts"),
            Duration.ofMinutes(2));
        var pods =
            cluster
                .client
                .pods()
                .inNamespace(NAMESPACE)
                .withLabel("serving.sluice.io/accelerator-pool", "shared")
                .list()
                .getItems()
                .stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .toList();
        assertThat(pods).hasSize(1);
        assertThat(
                pods.getFirst()
                    .getSpec()
                    .getContainers()
                    .getFirst()
                    .getResources()
                    .getLimits()
                    .get(GPU))
            .isEqualTo(new Quantity("1"));
        for (String model : new String[] {"asr", "tts"}) {
          String ip =
              cluster
                  .client
                  .services()
                  .inNamespace(NAMESPACE)
                  .withName(model + "-predictor")
                  .get()
                  .getSpec()
                  .getClusterIP();
          assertThat(cluster.inferLinear("http://" + ip + "/v2/models/" + model + "/infer"))
              .isEqualTo(2);
        }

        cluster.client.resource(pooled(cluster, "llm", "0.8")).create();
        await(
            "llm refused",
            () -> {
              var status = cluster.status("llm");
              return status != null
                  && status.conditions != null
                  && status.conditions.stream()
                      .anyMatch(
                          c ->
                              c.type.equals("Ready")
                                  && c.status.equals("False")
                                  && c.message != null
                                  && c.message.contains("does not fit"));
            },
            Duration.ofMinutes(1));
        assertThat(cluster.ready("asr")).isTrue();
      } finally {
        operator.stop();
        advertise(cluster, node, null);
      }
    }
  }
}
