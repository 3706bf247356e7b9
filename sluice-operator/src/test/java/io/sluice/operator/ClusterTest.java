package io.sluice.operator;

import static io.sluice.operator.DevCluster.await;
import static io.sluice.operator.DevCluster.traffic;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The operator (in this JVM) on a real single-node cluster ({@code bin/dev-cluster up}: API server,
 * kubelet, containerd, kube-proxy) with real Sluice pods from the image {@code bin/dev-cluster
 * image} builds: an InferenceService with an ONNX model from a PersistentVolumeClaim becomes READY
 * in {@code kubectl get isvc} and answers V2 inference through {@code {isvc}-predictor}; a new
 * model with a canary, asked for while the operator is down, makes a second revision once a new
 * operator starts; promoting it removes the first; deleting the InferenceService removes its pods
 * and Services.
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTest {
  private static final String NAMESPACE = "sluice-e2e";
  private DevCluster cluster;
  private Operator operator;

  @BeforeAll
  void start() throws Exception {
    cluster = DevCluster.open(NAMESPACE);
    operator = startOperator();
  }

  private Operator startOperator() throws Exception {
    return OperatorMain.start(
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(Files.readString(Path.of(cluster.kubeconfig))))
            .build(),
        System.getenv().getOrDefault("SLUICE_IMAGE", "k8s.local/sluice:dev"));
  }

  @AfterAll
  void stop() {
    if (operator != null) {
      operator.stop();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void anInferenceServiceServesRollsOutAndGoesAway() throws Exception {
    cluster.client.resource(cluster.isvc("softmax", "v1.onnx", "minReplicas: 1")).create();
    await("READY", () -> cluster.ready("softmax"), Duration.ofMinutes(3));
    String listed = cluster.kubectl("get", "isvc", "-n", NAMESPACE);
    assertThat(listed.lines().findFirst().orElseThrow())
        .contains("URL")
        .contains("READY")
        .contains("LATEST")
        .contains("PREV");
    assertThat(listed)
        .contains("http://softmax-predictor." + NAMESPACE + ".svc.cluster.local")
        .contains("True");
    assertThat(cluster.inferSoftmax("softmax-predictor")).isEqualTo(0.25);

    // the operator is down while the rollout is asked for; a new one picks it up and converges
    operator.stop();
    cluster
        .client
        .resource(cluster.isvc("softmax", "v2.onnx", "minReplicas: 1\ncanaryTrafficPercent: 25"))
        .update();
    operator = startOperator();
    await(
        "the canary",
        () ->
            traffic(cluster.status("softmax"))
                .equals("softmax-predictor-00002=25,softmax-predictor-00001=75"),
        Duration.ofMinutes(3));
    for (int i = 0; i < 20; i++) {
      assertThat(cluster.inferSoftmax("softmax-predictor"))
          .isEqualTo(0.25); // both revisions answer
    }

    cluster.client.resource(cluster.isvc("softmax", "v2.onnx", "minReplicas: 1")).update();
    await(
        "the promotion",
        () -> traffic(cluster.status("softmax")).equals("softmax-predictor-00002=100"),
        Duration.ofMinutes(1));
    await(
        "revision 1's pods to go",
        () ->
            cluster
                .client
                .pods()
                .inNamespace(NAMESPACE)
                .withLabel("serving.sluice.io/revision", "softmax-predictor-00001")
                .list()
                .getItems()
                .isEmpty(),
        Duration.ofMinutes(2));
    assertThat(cluster.inferSoftmax("softmax-predictor")).isEqualTo(0.25);

    cluster.kubectl("delete", "isvc", "softmax", "-n", NAMESPACE);
    await(
        "its pods and Services to go",
        () ->
            cluster.client.pods().inNamespace(NAMESPACE).list().getItems().isEmpty()
                && cluster.client.services().inNamespace(NAMESPACE).list().getItems().isEmpty(),
        Duration.ofMinutes(2));
  }
}
