package io.sluice.operator;

import static io.sluice.operator.IsvcFixtures.onnx;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.predictor.Naming;
import io.sluice.operator.scale.LoadScaler;
import io.sluice.operator.scale.RevisionLoad;
import io.sluice.operator.scale.RouterLoad;
import io.sluice.operator.scale.ScalingSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scaling across pods from the routers' load, on fabric8's mock API server with a simulated clock:
 * up under load (after the upscale delay, at most maxReplicas), down to zero after the idle delay,
 * and from zero at once when a router holds a request; the routers' status read as load per
 * revision.
 */
@EnableKubernetesMockClient(crud = true)
class LoadScalerTest {
  private static final String REVISION = "linear-predictor-00001";
  KubernetesClient client;
  private final Map<String, RevisionLoad.Sample> load = new HashMap<>();
  private final AtomicLong now = new AtomicLong();
  private LoadScaler scaler;
  private String owner;

  @BeforeEach
  void setUp() {
    client
        .load(
            getClass()
                .getResourceAsStream(
                    "/META-INF/fabric8/inferenceservices.serving.kserve.io-v1.yml"))
        .create();
    InferenceService isvc =
        onnx("linear", "pvc://models/v1.onnx", "minReplicas: 0\nmaxReplicas: 3\nscaleTarget: 2");
    isvc.getMetadata()
        .setAnnotations(
            Map.of(
                ScalingSettings.ANNOTATION_PREFIX + "scale-to-zero-delay",
                "20s",
                ScalingSettings.ANNOTATION_PREFIX + "upscale-delay",
                "3s",
                ScalingSettings.ANNOTATION_PREFIX + "look-back-period",
                "2s"));
    owner = client.resource(isvc).create().getMetadata().getUid();
    assertThat(owner).isNotBlank();
    client.resource(revision(REVISION, owner, true)).create();
    scaler = new LoadScaler(client, () -> Map.copyOf(load), Set.of(), now::get);
  }

  /**
   * A revision Deployment at one pod, owned by the InferenceService with {@code owner} (none when
   * null), proven when {@code readyOnce}.
   */
  private static io.fabric8.kubernetes.api.model.apps.Deployment revision(
      String name, String owner, boolean readyOnce) {
    var metadata =
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(name)
            .withNamespace("models")
            .addToLabels(Naming.ISVC_LABEL, "linear");
    if (owner != null) {
      metadata
          .addNewOwnerReference()
          .withApiVersion("serving.kserve.io/v1beta1")
          .withKind("InferenceService")
          .withName("linear")
          .withUid(owner)
          .endOwnerReference();
    }
    if (readyOnce) {
      metadata.addToAnnotations(Naming.READY_ONCE_ANNOTATION, "true");
    }
    return new DeploymentBuilder()
        .withMetadata(metadata.build())
        .withNewSpec()
        .withReplicas(1)
        .withNewSelector()
        .addToMatchLabels("app", "x")
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", "x")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("c")
        .withImage("i")
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private int replicas() {
    return client
        .apps()
        .deployments()
        .inNamespace("models")
        .withName(REVISION)
        .get()
        .getSpec()
        .getReplicas();
  }

  /** Ticks once a second of simulated time for {@code seconds}. */
  private void run(int seconds) throws Exception {
    for (int i = 0; i < seconds; i++) {
      now.addAndGet(Duration.ofSeconds(1).toNanos());
      scaler.tick();
    }
  }

  @Test
  void revisionsScaleUpUnderLoadDownToZeroWhenIdleAndWakeAtOnce() throws Exception {
    load.put(
        "models/" + REVISION,
        new RevisionLoad.Sample(10, 0)); // 10 ongoing at a target of 2 per pod: 5 wanted, 3 at most
    run(2);
    assertThat(replicas()).isEqualTo(1); // the upscale delay has not passed
    run(3);
    assertThat(replicas()).isEqualTo(3);

    load.put("models/" + REVISION, new RevisionLoad.Sample(0, 0));
    run(15);
    assertThat(replicas()).isEqualTo(3).as("below the delay"); // downscale delay (60 s) not over
    run(60);
    assertThat(replicas()).isZero();

    load.put("models/" + REVISION, new RevisionLoad.Sample(1, 0)); // a router holds a request
    run(1);
    assertThat(replicas()).isEqualTo(1);
  }

  private int replicas(String name) {
    return client
        .apps()
        .deployments()
        .inNamespace("models")
        .withName(name)
        .get()
        .getSpec()
        .getReplicas();
  }

  @Test
  void onlyRevisionsItMadeAndThatHaveProvedThemselvesAreScaledToZero() throws Exception {
    // labelled like a revision, but another controller's (KServe's, a user's)
    client.resource(revision("linear-predictor-foreign", null, true)).create();
    // this service's, its first pod not ready yet
    client.resource(revision("linear-predictor-00002", owner, false)).create();
    load.put("models/linear-predictor-foreign", new RevisionLoad.Sample(10, 0));
    run(90);
    assertThat(replicas("linear-predictor-foreign")).isEqualTo(1);
    assertThat(replicas("linear-predictor-00002")).isEqualTo(1);
    assertThat(replicas()).isZero(); // the proven one, idle
  }

  @Test
  void withScaleMetricRpsTheRequestRateIsTheLoad() throws Exception {
    InferenceService isvc =
        client.resources(InferenceService.class).inNamespace("models").withName("linear").get();
    isvc.getSpec().predictor.scaleMetric = io.sluice.operator.crd.PredictorSpec.ScaleMetric.rps;
    isvc.getSpec().predictor.scaleTarget = 10;
    client.resource(isvc).update();
    long dispatched = 0;
    for (int second = 0;
        second < 8;
        second++) { // 25 requests a second, 1 ongoing at a time: 3 pods at 10 rps each
      dispatched += 25;
      load.put("models/" + REVISION, new RevisionLoad.Sample(1, dispatched));
      run(1);
    }
    assertThat(replicas()).isEqualTo(3);
  }

  @Test
  void theRoutersStatusIsReadAsLoadPerRevision() throws Exception {
    var status =
        new ObjectMapper()
            .readTree(
                """
        {"applications": [{"name": "linear", "deployments": [{"name": "linear", "state": "LOADING", "revisions": [
          {"revision": 1, "endpoint": "http://linear-predictor-00001.models.svc.cluster.local", "ongoing": 3, "queued": 2,
           "dispatched": 40, "awaitingServers": false},
          {"revision": 2, "endpoint": "http://linear-predictor-00002.models.svc.cluster.local", "ongoing": 0, "queued": 0,
           "awaitingServers": true}]}]},
         {"name": "local", "deployments": [{"name": "local", "state": "LOADING", "revisions": [{"revision": 1, "ongoing": 9, "queued": 0}]}]}]}
        """);
    assertThat(RouterLoad.served(status)).containsExactly("linear");
    assertThat(RouterLoad.parse(status))
        .containsOnly(
            Map.entry("models/linear-predictor-00001", new RevisionLoad.Sample(5, 40)),
            Map.entry("models/linear-predictor-00002", new RevisionLoad.Sample(1, 0)));
  }
}
