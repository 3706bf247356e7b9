package io.sluice.operator;

import static io.sluice.operator.IsvcFixtures.onnx;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.InferenceServiceStatus;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator against fabric8's mock API server (CRUD mode: no kubelet, so pod readiness is
 * simulated by patching Deployment status): revisions, the predictor Service, traffic, status and
 * refusals.
 */
@EnableKubernetesMockClient(crud = true)
class OperatorMockTest {
  KubernetesClient client;
  private Operator operator;

  @BeforeEach
  void start() {
    // the generated CRD, so that the mock knows the status subresource (updates of the spec keep
    // the status)
    client
        .load(
            getClass()
                .getResourceAsStream(
                    "/META-INF/fabric8/inferenceservices.serving.kserve.io-v1.yml"))
        .create();
    operator = OperatorMain.start(client, "k8s.local/sluice:test");
  }

  @AfterEach
  void stop() {
    operator.stop();
  }

  private InferenceService isvc(String name) {
    return client.resources(InferenceService.class).inNamespace("models").withName(name).get();
  }

  private InferenceServiceStatus await(String name, Predicate<InferenceServiceStatus> condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      InferenceService current = isvc(name);
      if (current != null && current.getStatus() != null && condition.test(current.getStatus())) {
        return current.getStatus();
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "status of "
            + name
            + " never matched; last: "
            + io.fabric8.kubernetes.client.utils.Serialization.asYaml(isvc(name).getStatus()));
  }

  private Deployment awaitDeployment(String name) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      Deployment deployment =
          client.apps().deployments().inNamespace("models").withName(name).get();
      if (deployment != null) {
        return deployment;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no deployment " + name);
  }

  private void markReady(String deployment) throws InterruptedException {
    awaitDeployment(deployment);
    client
        .apps()
        .deployments()
        .inNamespace("models")
        .withName(deployment)
        .editStatus(
            d -> {
              d.setStatus(
                  new DeploymentStatusBuilder()
                      .withReplicas(1)
                      .withReadyReplicas(1)
                      .withAvailableReplicas(1)
                      .build());
              return d;
            });
  }

  private static String ready(InferenceServiceStatus status) {
    return status.conditions.stream()
        .filter(c -> c.type.equals("Ready"))
        .map(c -> c.status)
        .findFirst()
        .orElse(null);
  }

  private static String traffic(InferenceServiceStatus status) {
    return status.components.get("predictor").traffic.stream()
        .map(t -> t.revisionName + "=" + t.percent)
        .reduce((a, b) -> a + "," + b)
        .orElse("");
  }

  @Test
  void revisionsRollOutWithCanaryTrafficAndRetireWhenPromoted() throws Exception {
    client
        .resource(onnx("mnist", "pvc://models-pvc/mnist/v1.onnx", ""))
        .inNamespace("models")
        .create();
    Deployment first = awaitDeployment("mnist-predictor-00001");
    assertThat(first.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
        .isEqualTo("k8s.local/sluice:test");
    InferenceServiceStatus waiting = await("mnist", status -> "False".equals(ready(status)));
    assertThat(waiting.url).isEqualTo("http://mnist-predictor.models.svc.cluster.local");
    assertThat(
            client
                .services()
                .inNamespace("models")
                .withName("mnist-predictor")
                .get()
                .getSpec()
                .getSelector())
        .containsEntry("serving.sluice.io/revision", "mnist-predictor-00001");
    assertThat(
            client
                .configMaps()
                .inNamespace("models")
                .withName("mnist-predictor-00001")
                .get()
                .getData()
                .get("sluice.yaml"))
        .contains("/mnt/models/mnist/v1.onnx");

    markReady("mnist-predictor-00001");
    InferenceServiceStatus serving = await("mnist", status -> "True".equals(ready(status)));
    assertThat(traffic(serving)).isEqualTo("mnist-predictor-00001=100");
    assertThat(serving.components.get("predictor").latestReadyRevision)
        .isEqualTo("mnist-predictor-00001");
    assertThat(serving.address.url).isEqualTo(serving.url);

    // a new model with a canary: revision 2 takes 25% once ready, revision 1 keeps the rest
    client
        .resource(onnx("mnist", "pvc://models-pvc/mnist/v2.onnx", "canaryTrafficPercent: 25"))
        .inNamespace("models")
        .update();
    awaitDeployment("mnist-predictor-00002");
    InferenceServiceStatus notYet =
        await(
            "mnist",
            status ->
                "mnist-predictor-00002"
                    .equals(status.components.get("predictor").latestCreatedRevision));
    assertThat(traffic(notYet)).isEqualTo("mnist-predictor-00001=100");
    markReady("mnist-predictor-00002");
    InferenceServiceStatus canary =
        await("mnist", status -> traffic(status).contains("mnist-predictor-00002=25"));
    assertThat(traffic(canary)).isEqualTo("mnist-predictor-00002=25,mnist-predictor-00001=75");
    assertThat(canary.components.get("predictor").traffic.get(1).tag).isEqualTo("prev");
    assertThat(
            client
                .services()
                .inNamespace("models")
                .withName("mnist-predictor")
                .get()
                .getSpec()
                .getSelector())
        .containsEntry("serving.kserve.io/inferenceservice", "mnist");

    // promote: without canaryTrafficPercent the latest takes everything and revision 1 goes
    client
        .resource(onnx("mnist", "pvc://models-pvc/mnist/v2.onnx", ""))
        .inNamespace("models")
        .update();
    InferenceServiceStatus promoted =
        await("mnist", status -> traffic(status).equals("mnist-predictor-00002=100"));
    assertThat(promoted.components.get("predictor").previousRolledoutRevision)
        .isEqualTo("mnist-predictor-00001");
    assertThat(promoted.components.get("predictor").latestRolledoutRevision)
        .isEqualTo("mnist-predictor-00002");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (client.apps().deployments().inNamespace("models").withName("mnist-predictor-00001").get()
            != null
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(
            client
                .apps()
                .deployments()
                .inNamespace("models")
                .withName("mnist-predictor-00001")
                .get())
        .isNull();
    assertThat(client.services().inNamespace("models").withName("mnist-predictor-00001").get())
        .isNull();
  }

  @Test
  void anUnsupportedSpecIsRefusedWithAConditionNamingTheField() throws Exception {
    client
        .resource(onnx("bad", "gs://bucket/model.onnx", "logger: {mode: all}"))
        .inNamespace("models")
        .create();
    InferenceServiceStatus refused = await("bad", status -> "False".equals(ready(status)));
    InferenceServiceStatus.Condition condition =
        refused.conditions.stream()
            .filter(c -> c.type.equals("PredictorReady"))
            .findFirst()
            .orElseThrow();
    assertThat(condition.reason).isEqualTo("Unsupported");
    assertThat(condition.message)
        .contains("spec.predictor.logger is not supported by Sluice")
        .contains("gs://");
    assertThat(client.apps().deployments().inNamespace("models").list().getItems()).isEmpty();
  }
}
