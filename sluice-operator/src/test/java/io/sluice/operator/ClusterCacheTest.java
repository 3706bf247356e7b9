package io.sluice.operator;

import static io.sluice.operator.IsvcFixtures.onnx;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.sluice.operator.cache.ClusterCache;
import io.sluice.operator.predictor.Naming;
import io.sluice.operator.route.RouterService;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The informers the operator's once-a-second work reads, on fabric8's mock API server: only the
 * namespaces served, what is created after they started, and what is deleted.
 */
@EnableKubernetesMockClient(crud = true)
class ClusterCacheTest {
  KubernetesClient client;

  private static void await(BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 400 && !condition.getAsBoolean(); i++) {
      Thread.sleep(50);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }

  @Test
  void itFollowsTheServedNamespacesObjects() throws Exception {
    client
        .load(
            getClass()
                .getResourceAsStream(
                    "/META-INF/fabric8/inferenceservices.serving.kserve.io-v1.yml"))
        .create();
    var served = onnx("calc", "pvc://models/v1.onnx", "");
    served.getMetadata().setNamespace("team-a");
    client.resource(served).create();
    var other = onnx("calc", "pvc://models/v1.onnx", "");
    other.getMetadata().setNamespace("team-z");
    client.resource(other).create();
    try (ClusterCache cache =
        new ClusterCache(
            client, Set.of("team-a"), "", new RouterService("sluice-system", "router"))) {
      await(() -> cache.services().size() == 1);
      assertThat(cache.services().getFirst().getMetadata().getNamespace()).isEqualTo("team-a");

      client
          .resource(
              new DeploymentBuilder()
                  .withNewMetadata()
                  .withName("calc-predictor-00001")
                  .withNamespace("team-a")
                  .addToLabels(Naming.ISVC_LABEL, "calc")
                  .endMetadata()
                  .build())
          .create();
      client
          .resource(
              new EndpointsBuilder()
                  .withNewMetadata()
                  .withName("calc-predictor")
                  .withNamespace("team-a")
                  .addToLabels(Naming.COMPONENT_LABEL, "predictor")
                  .endMetadata()
                  .build())
          .create();
      client
          .resource(
              new EndpointsBuilder()
                  .withNewMetadata()
                  .withName("router")
                  .withNamespace("sluice-system")
                  .endMetadata()
                  .addNewSubset()
                  .addNewAddress()
                  .withIp("10.88.0.5")
                  .endAddress()
                  .addNewPort()
                  .withName("http")
                  .withPort(8080)
                  .endPort()
                  .endSubset()
                  .build())
          .create();
      await(() -> cache.revisions("team-a", "calc").size() == 1);
      await(() -> cache.alias("team-a", "calc-predictor") != null);
      await(() -> cache.routerPods().size() == 1);
      assertThat(cache.revisions("team-a", "other")).isEmpty();
      assertThat(cache.alias("team-z", "calc-predictor")).isNull();

      client.apps().deployments().inNamespace("team-a").withName("calc-predictor-00001").delete();
      await(() -> cache.revisions("team-a", "calc").isEmpty());
    }
  }
}
