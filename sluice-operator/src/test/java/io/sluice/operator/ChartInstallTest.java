package io.sluice.operator;

import static io.sluice.operator.DevCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart installed on the real dev cluster: the operator runs in its own pod (its image, its service
 * account and least-privilege RBAC, in-cluster credentials), watching one namespace, and serves an
 * InferenceService there; the router forwards to it at {@code /{name}} and splits a canary's traffic as the
 * status declares, within 5 points over 1,000 requests; uninstalling removes them.
 */
@Tag("slow")
class ChartInstallTest {
  private static final String NAMESPACE = "sluice-chart-e2e";

  /** The router's answer for x = 1, or 0 while it has no route. */
  private static double answers(DevCluster cluster, String url) {
    try {
      return cluster.inferLinear(url);
    } catch (Exception | AssertionError e) {
      return 0;
    }
  }

  @Test
  void theChartsOperatorAndRouterServeAnInferenceService() throws Exception {
    try (DevCluster cluster = DevCluster.open(NAMESPACE)) {
      cluster.kubectl("apply", "-f", "../deploy/helm/sluice/crds/");
      try {
        cluster.helm(true, "install", "sluice", "../deploy/helm/sluice", "--namespace", "sluice-system", "--create-namespace",
            "--skip-crds", "--set", "operator.watchNamespaces={" + NAMESPACE + "}", "--wait", "--timeout", "3m");
        assertThat(cluster.client.apps().deployments().inNamespace("sluice-system").withName("sluice-operator").get()
            .getStatus().getReadyReplicas()).isEqualTo(1);
        cluster.client.resource(cluster.isvc("linear", "v1.onnx", "minReplicas: 1")).create();
        await("READY", () -> cluster.ready("linear"), Duration.ofMinutes(3));
        String router = "http://" + cluster.client.services().inNamespace("sluice-system").withName("sluice-router").get()
            .getSpec().getClusterIP() + "/linear/v2/models/linear/infer";
        await("the router's route", () -> answers(cluster, router) == 2, Duration.ofMinutes(1));

        cluster.client.resource(cluster.isvc("linear", "v2.onnx", "minReplicas: 1\ncanaryTrafficPercent: 25")).update();
        await("the canary", () -> DevCluster.traffic(cluster.status("linear"))
            .equals("linear-predictor-00002=25,linear-predictor-00001=75"), Duration.ofMinutes(3));
        await("the router's canary", () -> answers(cluster, router) == 3, Duration.ofMinutes(1));
        int fromV2 = 0;
        for (int i = 0; i < 1000; i++) {
          if (cluster.inferLinear(router) == 3) {
            fromV2++;
          }
        }
        assertThat(fromV2).isBetween(200, 300);

        cluster.client.resource(cluster.isvc("linear", "v2.onnx", "minReplicas: 1")).update();
        await("the promotion", () -> DevCluster.traffic(cluster.status("linear")).equals("linear-predictor-00002=100"),
            Duration.ofMinutes(1));
        await("everything on v2", () -> {
          for (int i = 0; i < 20; i++) {
            if (answers(cluster, router) != 3) {
              return false;
            }
          }
          return true;
        }, Duration.ofMinutes(1));
      } finally {
        cluster.helm(false, "uninstall", "sluice", "--namespace", "sluice-system", "--wait");
        cluster.client.namespaces().withName("sluice-system").delete();
      }
    }
  }
}
