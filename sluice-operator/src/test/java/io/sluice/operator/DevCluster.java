package io.sluice.operator;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.InferenceServiceStatus;
import io.sluice.testkit.RawHttp1;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The real cluster of {@code bin/dev-cluster} as the end-to-end tests use it ({@code
 * SLUICE_DEV_CLUSTER} names its kubeconfig; the tests are skipped without it): kubectl and helm
 * runs, a namespace with a PersistentVolumeClaim holding the softmax ONNX model (twice, as {@code
 * v1.onnx} and {@code v2.onnx}), waits, and V2 inference through a predictor Service's cluster IP.
 */
final class DevCluster implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final String kubeconfig;
  final String namespace;
  final KubernetesClient client;

  private DevCluster(String kubeconfig, String namespace) throws Exception {
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
    this.client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(Files.readString(Path.of(kubeconfig))))
            .build();
  }

  /**
   * The cluster with namespace {@code namespace} and its model claim {@code models}; skips the test
   * without a cluster.
   */
  static DevCluster open(String namespace) throws Exception {
    String kubeconfig = System.getenv("SLUICE_DEV_CLUSTER");
    require(
        kubeconfig != null && Files.isRegularFile(Path.of(kubeconfig)),
        "no dev cluster: bin/dev-cluster up");
    DevCluster cluster = new DevCluster(kubeconfig, namespace);
    await(
        "namespace " + namespace + " of an earlier run to go",
        () -> {
          var existing = cluster.client.namespaces().withName(namespace).get();
          return existing == null || existing.getMetadata().getDeletionTimestamp() == null;
        },
        Duration.ofMinutes(2));
    Path models =
        Path.of(kubeconfig).getParent().getParent().resolve("e2e-models").resolve(namespace);
    Files.createDirectories(models.resolve("softmax"));
    for (String version : List.of("v1.onnx", "v2.onnx")) {
      Files.copy(
          Path.of("../models/softmax/model.onnx"),
          models.resolve("softmax").resolve(version),
          StandardCopyOption.REPLACE_EXISTING);
    }
    Files.createDirectories(models.resolve("linear"));
    io.sluice.testkit.OnnxModelWriter.writeLinear(
        models.resolve("linear/v1.onnx"), new float[] {1}, 1); // y = x + 1
    io.sluice.testkit.OnnxModelWriter.writeLinear(
        models.resolve("linear/v2.onnx"), new float[] {1}, 2); // y = x + 2
    for (Path path : List.of(models.resolve("softmax"), models.resolve("linear"))) {
      for (Path up = path; !up.equals(models.getParent().getParent()); up = up.getParent()) {
        Files.setPosixFilePermissions(
            up, PosixFilePermissions.fromString("rwxr-xr-x")); // pods run as user 65532
      }
    }
    try (var files = Files.list(models.resolve("linear"))) {
      for (Path file : files.toList()) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
    cluster.kubectl(
        "apply",
        "-f",
        "target/classes/META-INF/fabric8/inferenceservices.serving.kserve.io-v1.yml");
    Path volume = Files.createTempFile("sluice-e2e", ".yaml");
    Files.writeString(
        volume,
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: %2$s}
        ---
        apiVersion: v1
        kind: PersistentVolume
        metadata: {name: %2$s-models}
        spec:
          capacity: {storage: 1Gi}
          accessModes: [ReadOnlyMany]
          hostPath: {path: %1$s}
          storageClassName: %2$s
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: models, namespace: %2$s}
        spec:
          accessModes: [ReadOnlyMany]
          resources: {requests: {storage: 1Gi}}
          storageClassName: %2$s
          volumeName: %2$s-models
        """
            .formatted(models, namespace));
    cluster.kubectl("apply", "-f", volume.toString());
    Files.delete(volume);
    return cluster;
  }

  String kubectl(String... args) throws Exception {
    return run(System.getenv().getOrDefault("SLUICE_KUBECTL", "kubectl"), true, args).output();
  }

  /**
   * Streams a pod's log into {@code file} until the pod's container ends (or the process is
   * destroyed).
   */
  Process followLog(String pod, String namespace, Path file) throws Exception {
    return new ProcessBuilder(
            System.getenv().getOrDefault("SLUICE_KUBECTL", "kubectl"),
            "--kubeconfig",
            kubeconfig,
            "logs",
            "--follow",
            pod,
            "-n",
            namespace)
        .redirectErrorStream(true)
        .redirectOutput(file.toFile())
        .start();
  }

  record Run(int exit, String output) {}

  Run helm(boolean mustPass, String... args) throws Exception {
    String helm =
        System.getenv()
            .getOrDefault(
                "SLUICE_HELM", System.getProperty("user.home") + "/.cache/sluice/helm/4.1.4/helm");
    require(Files.isExecutable(Path.of(helm)), "helm missing: run bin/install-helm");
    return run(helm, mustPass, args);
  }

  private Run run(String program, boolean mustPass, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(program, "--kubeconfig", kubeconfig));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(180, TimeUnit.SECONDS)).isTrue();
    if (mustPass) {
      assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
    }
    return new Run(process.exitValue(), output);
  }

  /**
   * Installs the chart as release {@code sluice} in {@code sluice-system} (after one of an earlier
   * run has gone), watching {@code namespaces}; waits for its pods.
   */
  void installChart(String... namespaces) throws Exception {
    kubectl("apply", "-f", "../deploy/helm/sluice/crds/");
    await(
        "sluice-system of an earlier run to go",
        () -> client.namespaces().withName("sluice-system").get() == null,
        Duration.ofMinutes(2));
    helm(
        true,
        "install",
        "sluice",
        "../deploy/helm/sluice",
        "--namespace",
        "sluice-system",
        "--create-namespace",
        "--skip-crds",
        "--set",
        "operator.watchNamespaces={" + String.join(",", namespaces) + "}",
        "--wait",
        "--timeout",
        "3m");
  }

  /** Uninstalls the chart's release and its namespace. */
  void uninstallChart() throws Exception {
    helm(false, "uninstall", "sluice", "--namespace", "sluice-system", "--wait");
    client.namespaces().withName("sluice-system").delete();
  }

  /** The name of the first pod of {@code namespace} labelled {@code app.kubernetes.io/name}. */
  String firstPod(String namespace, String name) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("app.kubernetes.io/name", name)
        .list()
        .getItems()
        .getFirst()
        .getMetadata()
        .getName();
  }

  /**
   * An InferenceService {@code name} serving {@code {name}/{model}} from the claim, with predictor
   * fields {@code extra}.
   */
  InferenceService isvc(String name, String model, String extra) {
    return IsvcFixtures.isvc(
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          predictor:
        %3$s
            model:
              modelFormat: {name: onnx}
              storageUri: pvc://models/%1$s/%4$s
        """
            .formatted(name, namespace, extra.indent(4).stripTrailing(), model));
  }

  /** y for x = 1 through {@code url}: 2 from the v1 model, 3 from v2. */
  double inferLinear(String url) throws Exception {
    return inferLinear(url, Duration.ofSeconds(10));
  }

  /**
   * {@link #inferLinear(String)}, waiting up to {@code timeout} for the answer (a pod starting from
   * zero).
   */
  double inferLinear(String url, Duration timeout) throws Exception {
    return inferLinear(HttpRequest.newBuilder(URI.create(url)).timeout(timeout));
  }

  /**
   * {@link #inferLinear(String)} pinned to a revision with the {@code x-sluice-revision} header.
   */
  double inferLinearPinned(String url, String revision) throws Exception {
    return inferLinear(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(10))
            .header("x-sluice-revision", revision));
  }

  private double inferLinear(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response =
        http.send(
            request
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": [1]}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return JSON.readTree(response.body()).get("outputs").get(0).get("data").get(0).asDouble();
  }

  /**
   * y for x = 1 from {@code ip:port} with the Host header a client in the cluster would send
   * ({@code host}, e.g. {@code calc-predictor.team-a}), on {@code path}. Only a refused connection
   * is retried (kube-proxy writing a new Service's rules); every answer counts.
   */
  static double inferLinearAt(String ip, int port, String host, String path) throws Exception {
    String body =
        "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1, 1], \"data\": [1]}]}";
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        RawHttp1.Answer answer = RawHttp1.post(ip, port, host, path, body);
        assertThat(answer.status()).as(host + path + ": " + answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body()).get("outputs").get(0).get("data").get(0).asDouble();
      } catch (java.net.ConnectException refused) {
        if (System.nanoTime() > deadline) {
          throw refused;
        }
        Thread.sleep(250);
      }
    }
  }

  /** y for x = 1 over V2 gRPC (the same port as REST) to {@code host:port}, model {@code model}. */
  static double inferLinearGrpc(String host, int port, String model) {
    io.grpc.ManagedChannel channel =
        io.grpc.ManagedChannelBuilder.forAddress(host, port).usePlaintext().build();
    try {
      var request =
          io.sluice.protocol.kserve.grpc.proto.ModelInferRequest.newBuilder()
              .setModelName(model)
              .addInputs(
                  io.sluice.protocol.kserve.grpc.proto.ModelInferRequest.InferInputTensor
                      .newBuilder()
                      .setName("x")
                      .setDatatype("FP32")
                      .addShape(1)
                      .addShape(1)
                      .setContents(
                          io.sluice.protocol.kserve.grpc.proto.InferTensorContents.newBuilder()
                              .addFp32Contents(1)))
              .build();
      var response =
          io.sluice.protocol.kserve.grpc.proto.GRPCInferenceServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .modelInfer(request);
      if (response.getRawOutputContentsCount() > 0) {
        return response
            .getRawOutputContents(0)
            .asReadOnlyByteBuffer()
            .order(java.nio.ByteOrder.LITTLE_ENDIAN)
            .getFloat(0);
      }
      return response.getOutputs(0).getContents().getFp32Contents(0);
    } finally {
      channel.shutdownNow();
    }
  }

  /** The ready pods of a revision. */
  int readyPods(String revision) {
    return (int)
        client
            .pods()
            .inNamespace(namespace)
            .withLabel("serving.sluice.io/revision", revision)
            .list()
            .getItems()
            .stream()
            .filter(
                pod ->
                    pod.getMetadata().getDeletionTimestamp() == null
                        && pod.getStatus().getConditions().stream()
                            .anyMatch(
                                c -> c.getType().equals("Ready") && c.getStatus().equals("True")))
            .count();
  }

  /** The pods of a revision, terminating ones included. */
  int pods(String revision) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("serving.sluice.io/revision", revision)
        .list()
        .getItems()
        .size();
  }

  InferenceServiceStatus status(String name) {
    InferenceService isvc =
        client.resources(InferenceService.class).inNamespace(namespace).withName(name).get();
    return isvc == null ? null : isvc.getStatus();
  }

  boolean ready(String name) {
    InferenceServiceStatus status = status(name);
    return status != null
        && status.conditions.stream()
            .anyMatch(c -> c.type.equals("Ready") && c.status.equals("True"));
  }

  static String traffic(InferenceServiceStatus status) {
    return status == null || status.components.get("predictor") == null
        ? ""
        : status.components.get("predictor").traffic.stream()
            .map(t -> t.revisionName + "=" + t.percent)
            .reduce((a, b) -> a + "," + b)
            .orElse("");
  }

  static void await(String what, BooleanSupplier condition, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(250);
    }
  }

  /**
   * Like {@link #await(String, BooleanSupplier, Duration)}, saying what the namespace holds when it
   * times out.
   */
  void awaitHere(String what, BooleanSupplier condition, Duration within) throws Exception {
    try {
      await(what, condition, within);
    } catch (AssertionError e) {
      StringBuilder state = new StringBuilder(e.getMessage()).append('\n');
      state.append(
          run(
                  System.getenv().getOrDefault("SLUICE_KUBECTL", "kubectl"),
                  false,
                  "get",
                  "isvc,deploy,pods,svc,ep",
                  "-n",
                  namespace,
                  "-o",
                  "wide")
              .output());
      state.append(
          run(
                  System.getenv().getOrDefault("SLUICE_KUBECTL", "kubectl"),
                  false,
                  "get",
                  "events",
                  "-n",
                  namespace)
              .output());
      for (var pod : client.pods().inNamespace(namespace).list().getItems()) {
        state
            .append("--- ")
            .append(pod.getMetadata().getName())
            .append('\n')
            .append(
                run(
                        System.getenv().getOrDefault("SLUICE_KUBECTL", "kubectl"),
                        false,
                        "logs",
                        pod.getMetadata().getName(),
                        "-n",
                        namespace,
                        "--tail=30")
                    .output());
      }
      throw new AssertionError(state.toString(), e);
    }
  }

  /**
   * Softmax over axis 1 of zeros [3, 4, 5] through {@code service}'s cluster IP: every element is
   * 0.25.
   */
  double inferSoftmax(String service) throws Exception {
    String ip =
        client.services().inNamespace(namespace).withName(service).get().getSpec().getClusterIP();
    String zeros = String.join(",", java.util.Collections.nCopies(60, "0"));
    HttpResponse<String> response = null;
    // A new Service's ClusterIP answers once kube-proxy has written its rules, which READY does not
    // wait for (nor does Kubernetes promise it); on a loaded node that takes seconds. Only refusals
    // are retried: every answer counts.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (response == null) {
      try {
        response = sendInfer(ip, zeros);
      } catch (java.net.ConnectException refused) {
        if (System.nanoTime() > deadline) {
          throw refused;
        }
        Thread.sleep(250);
      }
    }
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode output = JSON.readTree(response.body()).get("outputs").get(0);
    assertThat(output.get("data")).hasSize(60);
    return output.get("data").get(0).asDouble();
  }

  private HttpResponse<String> sendInfer(String ip, String zeros) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + ip + "/v2/models/softmax/infer"))
            .timeout(Duration.ofSeconds(10))
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [3, 4, 5],"
                        + " \"data\": ["
                        + zeros
                        + "]}]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    client.namespaces().withName(namespace).delete();
    client.persistentVolumes().withName(namespace + "-models").delete();
    client.close();
  }
}
