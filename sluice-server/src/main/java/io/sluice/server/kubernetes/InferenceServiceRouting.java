package io.sluice.server.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The router's configuration from the cluster's InferenceServices, as the operator's status routes
 * them: each service with a ready revision is an application at {@code /{name}} whose deployment
 * forwards (remote hosting, V2) to the revision's Service, with the revision's name as its version
 * (so requests can pin it: the {@code x-sluice-revision} header or {@code /versions/{revision}});
 * during a canary, to the latest revision with its {@code canaryTrafficPercent}, so that the engine
 * splits requests between the previous revision and the latest exactly as the status says. A
 * service first seen during a canary is routed to its previous revision first, so the split has two
 * sides.
 */
public final class InferenceServiceRouting {
  private static final String ANNOTATIONS = "serving.sluice.io/";
  private final Set<String> seen = new HashSet<>();
  private final String serverSection;

  /**
   * @param serverSection the {@code server:} section of every configuration (the one the router
   *     started with)
   */
  public InferenceServiceRouting(String serverSection) {
    this.serverSection = serverSection.endsWith("\n") ? serverSection : serverSection + "\n";
  }

  /** The configuration (YAML) for an InferenceService list ({@code items}). */
  public String configuration(JsonNode list) {
    Map<String, String> applications = new LinkedHashMap<>();
    Set<String> present = new HashSet<>();
    for (JsonNode isvc : list.path("items")) {
      String name = isvc.path("metadata").path("name").asText();
      String namespace = isvc.path("metadata").path("namespace").asText();
      JsonNode traffic = isvc.path("status").path("components").path("predictor").path("traffic");
      String latest = null;
      String previous = null;
      int latestPercent = 0;
      for (JsonNode target : traffic) {
        if (target.path("latestRevision").asBoolean(false)) {
          latest = target.path("revisionName").asText();
          latestPercent = target.path("percent").asInt();
        } else if ("prev".equals(target.path("tag").asText())) {
          previous = target.path("revisionName").asText();
        }
      }
      String key = namespace + "/" + name;
      present.add(key);
      String endpoint;
      Integer canary = null;
      if (latest != null && (previous == null || seen.contains(key))) {
        endpoint = latest;
        // 100, not absent: the engine promotes a running canary only when told its new share
        canary = previous == null || latestPercent >= 100 ? 100 : latestPercent;
      } else if (previous != null) {
        endpoint = previous;
      } else {
        continue; // no revision takes traffic yet
      }
      seen.add(key);
      applications.put(
          name,
          """
            - name: %1$s
              routePrefix: /%1$s
              deployments:
                - name: %1$s
                  version: "%2$s"
                  hosting: remote
                  storageUri: "http://%2$s.%3$s.svc.cluster.local"
                  maxOngoingRequests: %5$d
                  canaryTrafficPercent: %4$d
          """
                  .formatted(name, endpoint, namespace, canary == null ? 100 : canary, perPod(isvc))
              + shadow(isvc));
    }
    seen.retainAll(present);
    StringBuilder yaml = new StringBuilder(serverSection + "applications:");
    yaml.append(applications.isEmpty() ? " []\n" : "\n");
    applications.values().forEach(yaml::append);
    return yaml.toString();
  }

  /**
   * Shadow traffic from the annotations {@code serving.sluice.io/shadow-percent} (of requests
   * mirrored, answers discarded) and {@code serving.sluice.io/shadow-target} (another
   * InferenceService; absent: this one's latest revision, which during a canary sees the whole
   * traffic's shape before it takes any share).
   */
  private static String shadow(JsonNode isvc) {
    JsonNode annotations = isvc.path("metadata").path("annotations");
    String percent = annotations.path(ANNOTATIONS + "shadow-percent").asText("");
    if (!percent.matches("[0-9]+(\\.[0-9]+)?")) {
      return "";
    }
    String target = annotations.path(ANNOTATIONS + "shadow-target").asText("");
    return "        shadow: {percent: "
        + percent
        + (target.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") ? ", deployment: " + target : "")
        + "}\n";
  }

  /**
   * Requests the router sends one pod at once: the service's {@code containerConcurrency}, else 64.
   */
  private static int perPod(JsonNode isvc) {
    int concurrency = isvc.path("spec").path("predictor").path("containerConcurrency").asInt(0);
    return concurrency > 0 ? concurrency : 64;
  }
}
