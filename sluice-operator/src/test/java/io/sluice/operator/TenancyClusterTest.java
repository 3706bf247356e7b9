package io.sluice.operator;

import static io.sluice.operator.DevCluster.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.InferenceServiceStatus;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The chart on the real dev cluster serving two namespaces that both have an InferenceService
 * {@code calc} (x + 1 in team-a, x + 2 in team-b): each {@code calc-predictor} answers with its own
 * namespace's model only, by cluster IP, by DNS name (Host), on port 8000 with the model's prefix,
 * by gRPC and under the router's namespace path; a service at {@code minReplicas: 0} answers as
 * soon as it says Ready; a bad service (an unreadable annotation) turns only itself not-Ready, with
 * an Event, while a service named {@code metrics} is served like any other and a freshly started
 * router serves them all; and a service at zero updated to a model that cannot load keeps answering
 * from its previous revision, saying why in its status.
 */
@Tag("slow")
class TenancyClusterTest {
  private static final String TEAM_A = "sluice-team-a";
  private static final String TEAM_B = "sluice-team-b";

  private static InferenceService calc(DevCluster cluster, String model, String extra) {
    return IsvcFixtures.isvc(
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: calc, namespace: %s}
        spec:
          predictor:
        %s
            model:
              modelFormat: {name: onnx}
              storageUri: pvc://models/linear/%s
        """
            .formatted(cluster.namespace, extra.indent(4).stripTrailing(), model));
  }

  private static String clusterIp(DevCluster cluster, String namespace, String service) {
    return cluster
        .client
        .services()
        .inNamespace(namespace)
        .withName(service)
        .get()
        .getSpec()
        .getClusterIP();
  }

  private static String condition(InferenceServiceStatus status, String type) {
    return status == null
        ? ""
        : status.conditions.stream()
            .filter(c -> c.type.equals(type))
            .map(c -> c.status + ":" + (c.message == null ? "" : c.message))
            .findFirst()
            .orElse("");
  }

  @Test
  void namespacesAreIsolatedAndFailuresStayWithTheirService() throws Exception {
    try (DevCluster a = DevCluster.open(TEAM_A);
        DevCluster b = DevCluster.open(TEAM_B)) {
      try {
        a.installChart(TEAM_A, TEAM_B);
        a.client.resource(calc(a, "v1.onnx", "minReplicas: 1")).create();
        b.client.resource(calc(b, "v2.onnx", "minReplicas: 0")).create();
        a.awaitHere("team-a's calc READY", () -> a.ready("calc"), Duration.ofMinutes(3));
        b.awaitHere("team-b's calc READY", () -> b.ready("calc"), Duration.ofMinutes(3));

        String aliasA = clusterIp(a, TEAM_A, "calc-predictor");
        String aliasB = clusterIp(b, TEAM_B, "calc-predictor");
        // Ready means answered: at zero too, the first revision has proved itself and the routers
        // took the route before Ready turned true
        for (int i = 0; i < 30; i++) {
          assertThat(DevCluster.inferLinearAt(aliasA, 80, aliasA, "/v2/models/calc/infer"))
              .isEqualTo(2);
          assertThat(DevCluster.inferLinearAt(aliasB, 80, aliasB, "/v2/models/calc/infer"))
              .isEqualTo(3);
        }
        String router = clusterIp(a, "sluice-system", "sluice-router");
        assertThat(
                DevCluster.inferLinearAt(
                    router, 80, "calc-predictor." + TEAM_A, "/v2/models/calc/infer"))
            .isEqualTo(2);
        assertThat(
                DevCluster.inferLinearAt(
                    router,
                    80,
                    "calc-predictor." + TEAM_B + ".svc.cluster.local",
                    "/v2/models/calc/infer"))
            .isEqualTo(3);
        assertThat(
                DevCluster.inferLinearAt(
                    aliasB,
                    8000,
                    "calc-predictor." + TEAM_B + ".svc.cluster.local:8000",
                    "/calc/v2/models/calc/infer"))
            .isEqualTo(3);
        assertThat(
                DevCluster.inferLinearAt(
                    router, 80, router, "/" + TEAM_A + "/calc/v2/models/calc/infer"))
            .isEqualTo(2);
        assertThat(DevCluster.inferLinearGrpc(aliasA, 80, "calc")).isEqualTo(2);
        assertThat(DevCluster.inferLinearGrpc(aliasB, 80, "calc")).isEqualTo(3);

        InferenceService bad = calc(a, "v1.onnx", "minReplicas: 0");
        bad.getMetadata().setName("bad");
        bad.getMetadata().setAnnotations(Map.of("serving.sluice.io/shadow-percent", "lots"));
        a.client.resource(bad).create();
        InferenceService metrics = calc(b, "v1.onnx", "minReplicas: 0");
        metrics.getMetadata().setName("metrics");
        b.client.resource(metrics).create();
        a.awaitHere(
            "bad to be refused",
            () -> condition(a.status("bad"), "Ready").startsWith("False:"),
            Duration.ofMinutes(1));
        assertThat(condition(a.status("bad"), "Ready")).contains("shadow-percent");
        a.awaitHere(
            "an Event on bad",
            () -> {
              try {
                return a.kubectl(
                        "get",
                        "events",
                        "-n",
                        TEAM_A,
                        "--field-selector",
                        "involvedObject.name=bad")
                    .contains("shadow-percent");
              } catch (Exception e) {
                return false;
              }
            },
            Duration.ofMinutes(1));
        b.awaitHere("metrics READY", () -> b.ready("metrics"), Duration.ofMinutes(3));
        String aliasMetrics = clusterIp(b, TEAM_B, "metrics-predictor");
        assertThat(
                DevCluster.inferLinearAt(
                    aliasMetrics, 80, aliasMetrics, "/v2/models/metrics/infer"))
            .isEqualTo(2);
        assertThat(DevCluster.inferLinearAt(aliasA, 80, aliasA, "/v2/models/calc/infer"))
            .isEqualTo(2);

        // a freshly started router serves every good route despite the bad one
        a.kubectl(
            "delete", "pod", "-n", "sluice-system", "-l", "app.kubernetes.io/name=sluice-router");
        a.kubectl(
            "rollout", "status", "deployment/sluice-router", "-n", "sluice-system", "--timeout=3m");
        await(
            "the new router's routes",
            () -> {
              try {
                return DevCluster.inferLinearAt(aliasB, 80, aliasB, "/v2/models/calc/infer") == 3
                    && DevCluster.inferLinearAt(
                            aliasMetrics, 80, aliasMetrics, "/v2/models/metrics/infer")
                        == 2;
              } catch (Exception | AssertionError e) {
                return false;
              }
            },
            Duration.ofMinutes(1));

        // at zero, an update to a model that cannot load leaves the previous revision serving
        b.client.resource(calc(b, "missing.onnx", "minReplicas: 0")).update();
        b.awaitHere(
            "the second revision to be reported not ready",
            () ->
                condition(b.status("calc"), "LatestDeploymentReady").startsWith("False:")
                    && "calc-predictor-00002"
                        .equals(b.status("calc").components.get("predictor").latestCreatedRevision),
            Duration.ofMinutes(2));
        for (int i = 0; i < 20; i++) {
          assertThat(DevCluster.inferLinearAt(aliasB, 80, aliasB, "/v2/models/calc/infer"))
              .isEqualTo(3);
        }
        InferenceServiceStatus status = b.status("calc");
        assertThat(condition(status, "Ready")).startsWith("True");
        assertThat(DevCluster.traffic(status)).isEqualTo("calc-predictor-00001=100");
        assertThat(status.components.get("predictor").latestReadyRevision)
            .isEqualTo("calc-predictor-00001");
        System.out.printf(
            "a revision that cannot load: %s%n", condition(status, "LatestDeploymentReady"));
        // the operator led throughout: its Lease renewed, never lost
        assertThat(
                a.client
                    .pods()
                    .inNamespace("sluice-system")
                    .withLabel("app.kubernetes.io/name", "sluice-operator")
                    .list()
                    .getItems())
            .allSatisfy(
                pod ->
                    assertThat(pod.getStatus().getContainerStatuses().getFirst().getRestartCount())
                        .as("operator restarts")
                        .isZero());
      } finally {
        System.out.println(a.kubectl("get", "pods", "-n", "sluice-system"));
        System.out.println(
            a.kubectl("logs", "deployment/sluice-operator", "-n", "sluice-system", "--tail=40"));
        a.uninstallChart();
      }
    }
  }
}
