package io.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.InferenceServiceStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The operator on a real single-node cluster ({@code bin/dev-cluster up}, API server, kubelet, containerd,
 * kube-proxy) with real Sluice pods from the image {@code bin/dev-cluster image} builds: an InferenceService
 * with an ONNX model from a PersistentVolumeClaim becomes READY in {@code kubectl get isvc} and answers V2
 * inference through {@code {isvc}-predictor}; a new model with a canary makes a second revision; promoting it
 * removes the first; deleting the InferenceService removes its pods and Services. Runs when
 * {@code SLUICE_DEV_CLUSTER} names the cluster's kubeconfig (bin/test sets it).
 */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTest {
  private static final String NAMESPACE = "sluice-e2e";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private String kubeconfig;
  private Path kubectl;
  private KubernetesClient client;
  private Operator operator;

  @BeforeAll
  void start() throws Exception {
    kubeconfig = System.getenv("SLUICE_DEV_CLUSTER");
    assumeTrue(kubeconfig != null && Files.isRegularFile(Path.of(kubeconfig)), "no dev cluster: bin/dev-cluster up");
    kubectl = Path.of(System.getenv().getOrDefault("SLUICE_KUBECTL", "kubectl"));
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig)))).build();
    Path models = Path.of(kubeconfig).getParent().getParent().resolve("e2e-models");
    Files.createDirectories(models.resolve("softmax"));
    Files.copy(Path.of("../models/softmax/model.onnx"), models.resolve("softmax/v1.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.copy(Path.of("../models/softmax/model.onnx"), models.resolve("softmax/v2.onnx"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    for (Path path : List.of(models, models.resolve("softmax"))) {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    kubectl("apply", "-f", "target/classes/META-INF/fabric8/inferenceservices.serving.kserve.io-v1.yml");
    client.resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).createOr(op -> op.update());
    Path volume = Files.createTempFile("sluice-e2e", ".yaml");
    Files.writeString(volume, """
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: sluice-e2e-models}
        spec:
          capacity: {storage: 1Gi}
          accessModes: [ReadOnlyMany]
          hostPath: {path: %s}
          storageClassName: sluice-e2e
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: models, namespace: %s}
        spec:
          accessModes: [ReadOnlyMany]
          resources: {requests: {storage: 1Gi}}
          storageClassName: sluice-e2e
          volumeName: sluice-e2e-models
        """.formatted(models, NAMESPACE));
    kubectl("apply", "-f", volume.toString());
    Files.delete(volume);
    operator = OperatorMain.start(client, System.getenv().getOrDefault("SLUICE_IMAGE", "k8s.local/sluice:dev"));
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.namespaces().withName(NAMESPACE).delete();
      client.persistentVolumes().withName("sluice-e2e-models").delete();
    }
    if (operator != null) {
      operator.stop(); // closes the client too
    }
  }

  private String kubectl(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(kubectl.toString(), "--kubeconfig", kubeconfig));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output;
  }

  private static InferenceService softmax(String model, String extra) {
    return IsvcFixtures.isvc("""
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: softmax, namespace: %s}
        spec:
          predictor:
        %s
            model:
              modelFormat: {name: onnx}
              storageUri: pvc://models/softmax/%s
        """.formatted(NAMESPACE, extra.indent(4).stripTrailing(), model));
  }

  private InferenceServiceStatus status() {
    InferenceService isvc = client.resources(InferenceService.class).inNamespace(NAMESPACE).withName("softmax").get();
    return isvc == null ? null : isvc.getStatus();
  }

  private static void await(String what, BooleanSupplier condition, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(250);
    }
  }

  private static String traffic(InferenceServiceStatus status) {
    return status == null || status.components.get("predictor") == null ? ""
        : status.components.get("predictor").traffic.stream().map(t -> t.revisionName + "=" + t.percent)
            .reduce((a, b) -> a + "," + b).orElse("");
  }

  private boolean ready() {
    InferenceServiceStatus status = status();
    return status != null && status.conditions.stream().anyMatch(c -> c.type.equals("Ready") && c.status.equals("True"));
  }

  /** Softmax over axis 1 of zeros [3, 4, 5]: every element 0.25. */
  private double inferThroughThePredictorService() throws Exception {
    String ip = client.services().inNamespace(NAMESPACE).withName("softmax-predictor").get().getSpec().getClusterIP();
    StringBuilder zeros = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      zeros.append(i == 0 ? "0" : ",0");
    }
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://" + ip + "/v2/models/softmax/infer"))
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [3, 4, 5],"
            + " \"data\": [" + zeros + "]}]}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode output = JSON.readTree(response.body()).get("outputs").get(0);
    assertThat(output.get("data")).hasSize(60);
    return output.get("data").get(0).asDouble();
  }

  @Test
  void anInferenceServiceServesRollsOutAndGoesAway() throws Exception {
    client.resource(softmax("v1.onnx", "minReplicas: 1")).create();
    await("READY", this::ready, Duration.ofMinutes(3));
    String listed = kubectl("get", "isvc", "-n", NAMESPACE);
    assertThat(listed.lines().findFirst().orElseThrow()).contains("URL").contains("READY").contains("LATEST").contains("PREV");
    assertThat(listed).contains("http://softmax-predictor." + NAMESPACE + ".svc.cluster.local").contains("True");
    assertThat(inferThroughThePredictorService()).isEqualTo(0.25);

    client.resource(softmax("v2.onnx", "minReplicas: 1\ncanaryTrafficPercent: 25")).update();
    await("the canary", () -> traffic(status()).equals("softmax-predictor-00002=25,softmax-predictor-00001=75"),
        Duration.ofMinutes(3));
    for (int i = 0; i < 20; i++) {
      assertThat(inferThroughThePredictorService()).isEqualTo(0.25); // both revisions answer
    }

    client.resource(softmax("v2.onnx", "minReplicas: 1")).update();
    await("the promotion", () -> traffic(status()).equals("softmax-predictor-00002=100"), Duration.ofMinutes(1));
    await("revision 1's pods to go", () -> client.pods().inNamespace(NAMESPACE)
        .withLabel("serving.sluice.io/revision", "softmax-predictor-00001").list().getItems().isEmpty(), Duration.ofMinutes(2));
    assertThat(inferThroughThePredictorService()).isEqualTo(0.25);

    kubectl("delete", "isvc", "softmax", "-n", NAMESPACE);
    await("its pods and Services to go", () -> client.pods().inNamespace(NAMESPACE).list().getItems().isEmpty()
        && client.services().inNamespace(NAMESPACE).list().getItems().isEmpty(), Duration.ofMinutes(2));
  }
}
