package io.sluice.operator.predictor;

import io.sluice.api.kserve.ModelFormats;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.ModelSpec;
import io.sluice.operator.crd.PredictorSpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an InferenceService's predictor asks for, checked: the Sluice runtime, where the model is,
 * the replica bounds, the serving limits and the accelerator; or the reasons it cannot be served,
 * each naming the field.
 *
 * @param specHash a digest of everything that makes a revision: a changed predictor is a new
 *     revision
 */
public record PredictorPlan(
    String isvc,
    ModelFormats.Runtime runtime,
    String image,
    List<String> runtimeArgs,
    String modelPath,
    String claim,
    String claimPath,
    int minReplicas,
    int maxReplicas,
    PredictorSpec predictor,
    GpuRequest gpu,
    String pool,
    String acceleratorMemory,
    String specHash,
    List<String> problems) {
  /** Names whose {@code /{name}} prefix is one of the server's own paths. */
  private static final java.util.Set<String> SERVER_PATHS = java.util.Set.of("v1", "v2", "metrics");

  public static final String MODEL_MOUNT = "/mnt/models";

  /**
   * Where a pod's Sluice caches what it fetches (an emptyDir, so downloads stay off the image's
   * layer).
   */
  public static final String MODEL_CACHE = "/var/cache/sluice";

  /** The accelerator pool an InferenceService asking for a fraction of a device shares a pod in. */
  public static final String POOL_ANNOTATION = "serving.sluice.io/accelerator-pool";

  /**
   * Each device's memory (e.g. {@code 80Gi}), for nodes whose pods cannot discover their devices
   * with the vendor's tool ({@code nvidia-smi}, {@code rocm-smi}); the devices are then declared to
   * Sluice instead of discovered.
   */
  public static final String MEMORY_ANNOTATION = "serving.sluice.io/accelerator-memory";

  private static final List<String> TRAFFIC_AND_SCALE =
      List.of("canaryTrafficPercent", "minReplicas", "maxReplicas", "scaleTarget", "scaleMetric");

  /**
   * @param image the container image serving the predictor (a ServingRuntime's, or Sluice's own)
   * @param runtimeArgs extra arguments the ServingRuntime gives its container
   */
  public static PredictorPlan of(InferenceService isvc, String image, List<String> runtimeArgs) {
    List<String> problems = new ArrayList<>();
    String name = isvc.getMetadata().getName();
    if (isvc.getSpec() == null || isvc.getSpec().predictor == null) {
      problems.add("spec.predictor is required");
      return new PredictorPlan(
          name,
          null,
          image,
          runtimeArgs,
          null,
          null,
          null,
          0,
          0,
          null,
          null,
          null,
          null,
          "",
          problems);
    }
    isvc.getSpec()
        .unsupportedFields()
        .forEach(field -> problems.add("spec." + field + " is not supported by Sluice"));
    PredictorSpec predictor = isvc.getSpec().predictor;
    predictor
        .unsupportedFields()
        .forEach(field -> problems.add("spec.predictor." + field + " is not supported by Sluice"));
    ModelSpec model = predictor.model;
    ModelFormats.Runtime runtime = null;
    String modelPath = null;
    String claim = null;
    String claimPath = null;
    if (model == null) {
      problems.add(
          "spec.predictor.model is required (the framework shortcuts such as spec.predictor.onnx are not supported)");
    } else {
      model
          .unsupportedFields()
          .forEach(
              field ->
                  problems.add("spec.predictor.model." + field + " is not supported by Sluice"));
      String format = model.modelFormat == null ? null : model.modelFormat.name;
      runtime = ModelFormats.runtime(format).orElse(null);
      if (runtime == null) {
        problems.add(
            "spec.predictor.model.modelFormat.name '"
                + format
                + "' is not served by Sluice; it serves "
                + ModelFormats.names());
      }
      String uri = model.storageUri;
      if (uri == null || uri.isBlank()) {
        problems.add("spec.predictor.model.storageUri is required");
      } else if (uri.startsWith("pvc://")) {
        String rest = uri.substring("pvc://".length());
        int slash = rest.indexOf('/');
        claim = slash < 0 ? rest : rest.substring(0, slash);
        claimPath = slash < 0 ? "" : rest.substring(slash + 1);
        modelPath = claimPath.isEmpty() ? MODEL_MOUNT : MODEL_MOUNT + "/" + claimPath;
        if (claim.isEmpty()) {
          problems.add("spec.predictor.model.storageUri '" + uri + "' names no claim");
        }
      } else if (uri.startsWith("/")
          || uri.startsWith("file://")
          || uri.matches("(https?|hf|s3|mvn)://.+")) {
        modelPath =
            uri; // baked into the image, or fetched by the pod's Sluice at start (credentials from
        // model.env)
      } else {
        problems.add(
            "spec.predictor.model.storageUri '"
                + uri
                + "': Sluice pods read pvc://, file paths in the image,"
                + " https://, http://, hf://, s3:// and mvn://");
      }
    }
    GpuRequest gpu = model == null ? null : GpuRequest.of(model.resources, problems);
    Map<String, String> annotations =
        isvc.getMetadata().getAnnotations() == null
            ? Map.of()
            : isvc.getMetadata().getAnnotations();
    String pool = annotations.get(POOL_ANNOTATION);
    String memory = annotations.get(MEMORY_ANNOTATION);
    if (memory != null && !memory.strip().matches("[0-9]+(\\.[0-9]+)?([KMGT]i?)?")) {
      problems.add(
          "metadata.annotations["
              + MEMORY_ANNOTATION
              + "] '"
              + memory
              + "' is not a size such as 80Gi");
    }
    if (gpu != null && gpu.fractional() && pool == null) {
      problems.add(
          "spec.predictor.model.resources: "
              + gpu.resource()
              + " "
              + gpu.amount()
              + " is a fraction of a device,"
              + " which Sluice serves by sharing one pod's device between models: name an accelerator pool in"
              + " metadata.annotations["
              + POOL_ANNOTATION
              + "]");
    }
    if (pool != null && (gpu == null || !gpu.fractional())) {
      problems.add(
          "metadata.annotations["
              + POOL_ANNOTATION
              + "]: a pool shares one device between models asking for"
              + " a fraction of it; spec.predictor.model.resources.limits asks for "
              + (gpu == null ? "no accelerator" : gpu.amount() + " " + gpu.resource()));
    }
    if (pool != null && predictor.canaryTrafficPercent != null) {
      problems.add(
          "spec.predictor.canaryTrafficPercent: a model in an accelerator pool is replaced in place, not canaried");
    }
    int min = predictor.minReplicas == null ? 1 : predictor.minReplicas;
    int max =
        predictor.maxReplicas == null || predictor.maxReplicas == 0
            ? Math.max(1, min)
            : predictor.maxReplicas;
    if (max < min) {
      problems.add("spec.predictor.maxReplicas (" + max + ") is below minReplicas (" + min + ")");
    }
    return new PredictorPlan(
        name,
        runtime,
        image,
        runtimeArgs == null ? List.of() : List.copyOf(runtimeArgs),
        modelPath,
        claim,
        claimPath,
        min,
        max,
        predictor,
        gpu,
        pool,
        memory == null ? null : memory.strip(),
        hash(predictor, image, runtimeArgs),
        List.copyOf(problems));
  }

  /**
   * The Sluice configuration the predictor's pods start with: one application, one deployment named
   * as the service, and the devices the pod was given, when it asks for whole accelerators.
   */
  public Map<String, Object> sluiceConfig() {
    Map<String, Object> config = server();
    config.put("applications", List.of(application(modelPath)));
    if (gpu != null && acceleratorMemory != null) {
      config.put("accelerators", accelerators(gpu.vendor(), gpu.devices(), acceleratorMemory));
    }
    return config;
  }

  /** The {@code server} section every predictor pod has. */
  static Map<String, Object> server() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("server", Map.of("host", "0.0.0.0", "port", Naming.PORT));
    return config;
  }

  /**
   * The devices a pod was given, declared (the device plugin exposes them to the container from
   * index 0) with {@code memory} each, when the pod cannot discover them itself.
   */
  static List<Map<String, Object>> accelerators(String vendor, int count, String memory) {
    List<Map<String, Object>> devices = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      devices.add(Map.of("id", vendor + i, "vendor", vendor, "index", i, "memory", memory));
    }
    return devices;
  }

  /** This service's application: one deployment named as the service, its model at {@code path}. */
  Map<String, Object> application(String path) {
    return application(path, false);
  }

  /**
   * @param onDemand whether the model loads on demand and may be swapped out for another ({@code
   *     keepAlive: -1}): an accelerator pool whose members' shares exceed the device
   */
  Map<String, Object> application(String path, boolean onDemand) {
    Map<String, Object> deployment = new LinkedHashMap<>();
    deployment.put("name", isvc);
    deployment.put("runtime", runtime.name());
    deployment.put("storageUri", path);
    if (runtime.worker()) {
      deployment.put("hosting", "worker");
    }
    if (predictor.containerConcurrency != null && predictor.containerConcurrency > 0) {
      deployment.put("maxOngoingRequests", predictor.containerConcurrency);
    }
    if (predictor.timeout != null) {
      deployment.put("requestTimeout", predictor.timeout + "s");
    }
    if (predictor.batcher != null) {
      Map<String, Object> batching = new LinkedHashMap<>();
      batching.put(
          "maxBatchSize",
          predictor.batcher.maxBatchSize == null ? 32 : predictor.batcher.maxBatchSize);
      batching.put(
          "batchWaitTimeout",
          (predictor.batcher.maxLatency == null ? 5 : predictor.batcher.maxLatency) + "ms");
      deployment.put("batching", batching);
    }
    if (gpu != null) {
      deployment.put("resources", Map.of("gpus", gpu.amount()));
    }
    if (onDemand) {
      deployment.put("keepAlive", "-1");
    }
    Map<String, Object> application = new LinkedHashMap<>();
    application.put("name", isvc);
    if (SERVER_PATHS.contains(isvc)) {
      // /{name} would hide the server's own routes: the model stays at the root paths and here
      application.put("routePrefix", "/models/" + isvc);
    }
    application.put("deployments", List.of(deployment));
    return application;
  }

  private static String hash(PredictorSpec predictor, String image, List<String> runtimeArgs) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      com.fasterxml.jackson.databind.node.ObjectNode spec =
          io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().valueToTree(predictor);
      spec.remove(
          TRAFFIC_AND_SCALE); // they move traffic and replicas, not the pods: no new revision
      digest.update(spec.toString().getBytes(StandardCharsets.UTF_8));
      digest.update(("\n" + image + "\n" + runtimeArgs).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
