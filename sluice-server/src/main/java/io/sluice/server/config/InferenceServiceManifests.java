package io.sluice.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.api.kserve.ModelFormats;
import io.sluice.storage.ModelStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * KServe InferenceService manifests ({@code sluice serve -f isvc.yaml}) as a Sluice configuration:
 * each service is an application at {@code /{name}} with one deployment named after it, as the
 * operator runs it in a pod, so the same manifest serves on one machine as on a cluster. Fields
 * Sluice does not serve are refused by name; fields that only shape a pod ({@code labels}, {@code
 * annotations}, {@code nodeSelector}, {@code tolerations}, {@code affinity}, {@code
 * serviceAccountName}, {@code imagePullSecrets}, the model's {@code env}, {@code args}, {@code
 * protocolVersion} and {@code runtime}) are accepted and have no effect here.
 */
public final class InferenceServiceManifests {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> SPEC = Set.of("predictor");
  private static final Set<String> PREDICTOR =
      Set.of(
          "model",
          "minReplicas",
          "maxReplicas",
          "scaleTarget",
          "scaleMetric",
          "containerConcurrency",
          "timeout",
          "canaryTrafficPercent",
          "batcher",
          "labels",
          "annotations",
          "nodeSelector",
          "tolerations",
          "affinity",
          "serviceAccountName",
          "imagePullSecrets");
  private static final Set<String> MODEL =
      Set.of("modelFormat", "runtime", "storageUri", "protocolVersion", "resources", "env", "args");

  private InferenceServiceManifests() {}

  /**
   * The configuration (YAML) serving every InferenceService in {@code manifests}; relative paths
   * resolve against each file.
   */
  public static String toConfiguration(List<Path> manifests) throws ConfigException {
    ObjectNode config = YAML.createObjectNode();
    ArrayNode applications = config.putArray("applications");
    for (Path manifest : manifests) {
      List<JsonNode> documents = new ArrayList<>();
      try (MappingIterator<JsonNode> read =
          YAML.readerFor(JsonNode.class).readValues(manifest.toFile())) {
        while (read.hasNextValue()) {
          JsonNode document = read.nextValue();
          if (document != null && !document.isNull() && !document.isEmpty()) {
            documents.add(document);
          }
        }
      } catch (IOException e) {
        throw new ConfigException(manifest.toString(), "cannot read: " + e.getMessage());
      }
      for (JsonNode isvc : documents) {
        applications.add(application(manifest, isvc));
      }
    }
    if (applications.isEmpty()) {
      throw new ConfigException(manifests.toString(), "holds no InferenceService");
    }
    try {
      return YAML.writeValueAsString(config);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ObjectNode application(Path manifest, JsonNode isvc) throws ConfigException {
    String name = isvc.path("metadata").path("name").asText("");
    String at = manifest + ": InferenceService '" + name + "'";
    if (!"InferenceService".equals(isvc.path("kind").asText())
        || !isvc.path("apiVersion").asText().startsWith("serving.kserve.io/")) {
      throw new ConfigException(
          at,
          "not a serving.kserve.io InferenceService (kind " + isvc.path("kind").asText("?") + ")");
    }
    JsonNode spec = isvc.path("spec");
    JsonNode predictor = spec.path("predictor");
    JsonNode model = predictor.path("model");
    refuseUnknown(at, "spec", spec, SPEC);
    refuseUnknown(at, "spec.predictor", predictor, PREDICTOR);
    refuseUnknown(at, "spec.predictor.model", model, MODEL);
    String format = model.path("modelFormat").path("name").asText(null);
    ModelFormats.Runtime runtime =
        ModelFormats.runtime(format)
            .orElseThrow(
                () ->
                    new ConfigException(
                        at + ": spec.predictor.model.modelFormat.name",
                        "'"
                            + format
                            + "' is not served by Sluice; it serves "
                            + ModelFormats.names()));
    ObjectNode deployment = YAML.createObjectNode();
    deployment.put("name", name);
    deployment.put("runtime", runtime.name());
    if (runtime.worker()) {
      deployment.put("hosting", "worker");
    }
    deployment.put("storageUri", storage(at, manifest, model.path("storageUri").asText(null)));
    int min = predictor.path("minReplicas").asInt(1);
    int max = Math.max(predictor.path("maxReplicas").asInt(Math.max(min, 1)), Math.max(min, 1));
    if (min != 1 || max != 1 || predictor.has("scaleTarget")) {
      ObjectNode autoscaling = deployment.putObject("autoscaling");
      autoscaling.put("minReplicas", min);
      autoscaling.put("maxReplicas", max);
      if (predictor.has("scaleTarget")) {
        if (!"concurrency".equals(predictor.path("scaleMetric").asText("concurrency"))) {
          throw new ConfigException(
              at + ": spec.predictor.scaleMetric",
              "Sluice scales on concurrency (ongoing requests), not "
                  + predictor.path("scaleMetric").asText());
        }
        autoscaling.put("targetOngoingRequests", predictor.path("scaleTarget").asDouble());
      }
    }
    if (predictor.path("containerConcurrency").asInt(0) > 0) {
      deployment.put("maxOngoingRequests", predictor.path("containerConcurrency").asInt());
    }
    if (predictor.has("timeout")) {
      deployment.put("requestTimeout", predictor.path("timeout").asLong() + "s");
    }
    if (predictor.has("canaryTrafficPercent")) {
      deployment.put("canaryTrafficPercent", predictor.path("canaryTrafficPercent").asInt());
    }
    if (predictor.has("batcher")) {
      ObjectNode batching = deployment.putObject("batching");
      batching.put("maxBatchSize", predictor.path("batcher").path("maxBatchSize").asInt(32));
      batching.put(
          "batchWaitTimeout", predictor.path("batcher").path("maxLatency").asInt(5) + "ms");
    }
    JsonNode gpus = model.path("resources").path("limits");
    for (String vendor : List.of("nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915")) {
      if (gpus.has(vendor)) {
        deployment.putObject("resources").put("gpus", gpus.path(vendor).asDouble());
      }
    }
    ObjectNode application = YAML.createObjectNode();
    application.put("name", name);
    // /v1, /v2 and /metrics are the server's own: such a service keeps its model at the root paths
    application.put(
        "routePrefix", ConfigValues.SERVER_PATHS.contains(name) ? "/models/" + name : "/" + name);
    application.putArray("deployments").add(deployment);
    return application;
  }

  private static String storage(String at, Path manifest, String uri) throws ConfigException {
    if (uri == null || uri.isBlank()) {
      throw new ConfigException(at + ": spec.predictor.model.storageUri", "missing");
    }
    if (uri.startsWith("pvc://")) {
      throw new ConfigException(
          at + ": spec.predictor.model.storageUri",
          "pvc:// exists only on a cluster; on one machine"
              + " give the model's path (relative to the manifest) or a file://, https://, hf://, s3:// or mvn:// URI");
    }
    if (uri.startsWith("file://") || ModelStore.isRemote(uri)) {
      return uri;
    }
    if (uri.contains("://")) {
      throw new ConfigException(
          at + ": spec.predictor.model.storageUri",
          "'"
              + uri
              + "' is not a storage Sluice reads"
              + " (paths, file://, https://, http://, hf://, s3://, mvn://)");
    }
    Path directory = manifest.toAbsolutePath().getParent();
    return directory.resolve(uri).normalize().toUri().toString();
  }

  private static void refuseUnknown(String at, String path, JsonNode node, Set<String> served)
      throws ConfigException {
    for (Iterator<String> fields = node.fieldNames(); fields.hasNext(); ) {
      String field = fields.next();
      if (!served.contains(field)) {
        throw new ConfigException(at + ": " + path + "." + field, "is not supported by Sluice");
      }
    }
  }
}
