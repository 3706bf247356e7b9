package io.sluice.operator;

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
 * pool pod that holds the device and answer inference, and a third asking for 0.8 joins them: the
 * three take turns on the device (the engine swaps them), and each answers.
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

  private static String clusterIp(DevCluster cluster, String model) {
    return cluster
        .client
        .services()
        .inNamespace(NAMESPACE)
        .withName(model + "-predictor")
        .get()
        .getSpec()
        .getClusterIP();
  }

  @Test
  void twoHalvesShareOnePodsDeviceAndAThirdShareTakesTurnsWithThem() throws Exception {
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
          String ip = clusterIp(cluster, model);
          assertThat(cluster.inferLinear("http://" + ip + "/v2/models/" + model + "/infer"))
              .isEqualTo(2);
        }

        // 0.5 + 0.5 + 0.8 exceed the device: the pool's pod serves all three by swapping them
        cluster.client.resource(pooled(cluster, "llm", "0.8")).create();
        cluster.awaitHere(
            "all three READY",
            () -> cluster.ready("asr") && cluster.ready("tts") && cluster.ready("llm"),
            Duration.ofMinutes(3));
        String ip = null;
        for (int round = 0; round < 2; round++) {
          for (String model : new String[] {"llm", "asr", "tts"}) {
            ip = clusterIp(cluster, model);
            assertThat(cluster.inferLinear("http://" + ip + "/v2/models/" + model + "/infer"))
                .as(model)
                .isEqualTo(2);
          }
        }
        String metrics =
            java.net.http.HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://" + ip + "/metrics"))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        double evictions =
            metrics
                .lines()
                .filter(line -> line.startsWith("sluice_deployment_evictions_total{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
        assertThat(evictions).as("the members took turns on the device").isPositive();
      } finally {
        operator.stop();
        advertise(cluster, node, null);
      }
    }
  }
}
