package io.sluice.operator;

import static io.sluice.operator.DevCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart installed on the real dev cluster: the operator runs in its own pod (its image, its service
 * account and least-privilege RBAC, in-cluster credentials), watching one namespace, and serves an
 * InferenceService there; uninstalling removes it.
 */
@Tag("slow")
class ChartInstallTest {
  private static final String NAMESPACE = "sluice-chart-e2e";

  @Test
  void theChartsOperatorServesAnInferenceService() throws Exception {
    try (DevCluster cluster = DevCluster.open(NAMESPACE)) {
      cluster.kubectl("apply", "-f", "../deploy/helm/sluice/crds/");
      try {
        cluster.helm(true, "install", "sluice", "../deploy/helm/sluice", "--namespace", "sluice-system", "--create-namespace",
            "--skip-crds", "--set", "operator.watchNamespaces={" + NAMESPACE + "}", "--wait", "--timeout", "3m");
        assertThat(cluster.client.apps().deployments().inNamespace("sluice-system").withName("sluice-operator").get()
            .getStatus().getReadyReplicas()).isEqualTo(1);
        cluster.client.resource(cluster.softmax("v1.onnx", "minReplicas: 1")).create();
        await("READY", () -> cluster.ready("softmax"), Duration.ofMinutes(3));
        assertThat(cluster.inferSoftmax("softmax-predictor")).isEqualTo(0.25);
      } finally {
        cluster.helm(false, "uninstall", "sluice", "--namespace", "sluice-system", "--wait");
        cluster.client.namespaces().withName("sluice-system").delete();
      }
    }
  }
}
