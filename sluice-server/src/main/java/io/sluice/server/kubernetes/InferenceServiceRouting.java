package io.sluice.server.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The router's routes from the cluster's InferenceServices, as the operator's status routes them:
 * each service with a revision taking traffic is an application of its own, named {@code
 * {name}.{namespace}} (so that equal names in two namespaces never meet), at {@code
 * /{name}.{namespace}}, whose one deployment (served to clients as {@code {name}}) forwards (remote
 * hosting, V2) to the revision's Service, with the revision's name as its version (so requests can
 * pin it: the {@code x-sluice-revision} header or {@code /versions/{revision}}); during a canary,
 * to the latest revision with its {@code canaryTrafficPercent}, so that the engine splits requests
 * between the previous revision and the latest exactly as the status says. A service first seen
 * during a canary is routed to its previous revision first, so the split has two sides.
 */
public final class InferenceServiceRouting {
  private static final String ANNOTATIONS = "serving.sluice.io/";
  private static final String NAME = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private final Set<String> seen = new HashSet<>();
  private final String serverSection;

  /**
   * One service's route.
   *
   * @param namespace the InferenceService's namespace
   * @param name its name
   * @param yaml its application, as an item of {@code applications:}
   * @param needs the applications it refers to (a shadow target), which must be routed with it
   */
  public record Route(String namespace, String name, String yaml, List<String> needs) {
    /** The application's name, also its deployment's and (with a slash) its route prefix. */
    public String application() {
      return InferenceServiceRouting.application(namespace, name);
    }
  }

  /**
   * @param serverSection the {@code server:} section of every configuration (the one the router
   *     started with)
   */
  public InferenceServiceRouting(String serverSection) {
    this.serverSection = serverSection.endsWith("\n") ? serverSection : serverSection + "\n";
  }

  /** The router's application for an InferenceService. */
  public static String application(String namespace, String name) {
    return name + "." + namespace;
  }

  /** The routes of an InferenceService list ({@code items}), in the list's order. */
  public List<Route> routes(JsonNode list) {
    List<Route> routes = new ArrayList<>();
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
      int canary;
      if (latest != null && (previous == null || seen.contains(key))) {
        endpoint = latest;
        // 100, not absent: the engine promotes a running canary only when told its new share
        canary = previous == null || latestPercent >= 100 ? 100 : latestPercent;
      } else if (previous != null) {
        endpoint = previous;
        canary = 100;
      } else {
        continue; // no revision takes traffic yet
      }
      seen.add(key);
      String application = application(namespace, name);
      List<String> needs = new ArrayList<>();
      String shadow = shadow(isvc, namespace, needs);
      routes.add(
          new Route(
              namespace,
              name,
              """
                - name: %1$s
                  routePrefix: /%1$s
                  deployments:
                    - name: %1$s
                      servedName: "%2$s"
                      version: "%3$s"
                      hosting: remote
                      storageUri: "http://%3$s.%4$s.svc.cluster.local"
                      settings: {model: "%2$s"}
                      maxOngoingRequests: %6$d
                      canaryTrafficPercent: %5$d
              """
                      .formatted(application, name, endpoint, namespace, canary, perPod(isvc))
                  + shadow,
              List.copyOf(needs)));
    }
    seen.retainAll(present);
    return routes;
  }

  /** The configuration (YAML) that serves {@code routes}. */
  public String configuration(Collection<Route> routes) {
    StringBuilder yaml = new StringBuilder(serverSection + "applications:");
    yaml.append(routes.isEmpty() ? " []\n" : "\n");
    routes.forEach(route -> yaml.append(route.yaml()));
    return yaml.toString();
  }

  /**
   * Shadow traffic from the annotations {@code serving.sluice.io/shadow-percent} (of requests
   * mirrored, answers discarded) and {@code serving.sluice.io/shadow-target} (another
   * InferenceService of the same namespace; absent: this one's latest revision, which during a
   * canary sees the whole traffic's shape before it takes any share). Values that are not a number
   * or a service name are carried as they are, so that the route is refused with the reason.
   */
  private static String shadow(JsonNode isvc, String namespace, List<String> needs) {
    JsonNode annotations = isvc.path("metadata").path("annotations");
    if (!annotations.has(ANNOTATIONS + "shadow-percent")) {
      return "";
    }
    String percent = annotations.path(ANNOTATIONS + "shadow-percent").asText("");
    String target = annotations.path(ANNOTATIONS + "shadow-target").asText("");
    String deployment = "";
    if (!target.isEmpty()) {
      String application = target.matches(NAME) ? application(namespace, target) : target;
      needs.add(application);
      deployment = ", deployment: " + quoted(application);
    }
    return "        shadow: {percent: "
        + (percent.matches("[0-9]+(\\.[0-9]+)?") ? percent : quoted(percent))
        + deployment
        + "}\n";
  }

  /** A YAML double-quoted scalar. */
  private static String quoted(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /**
   * Requests the router sends one pod at once: the service's {@code containerConcurrency}, else 64.
   */
  private static int perPod(JsonNode isvc) {
    int concurrency = isvc.path("spec").path("predictor").path("containerConcurrency").asInt(0);
    return concurrency > 0 ? concurrency : 64;
  }
}
