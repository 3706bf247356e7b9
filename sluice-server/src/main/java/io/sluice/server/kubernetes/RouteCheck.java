package io.sluice.server.kubernetes;

import io.sluice.server.config.ConfigException;
import io.sluice.server.config.ConfigLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks each InferenceService's route on its own (with the routes it refers to), so that one that
 * cannot be served (a bad annotation, a shadow target without a route) is left out and every other
 * keeps routing. A route's verdict is kept while its YAML stays the same.
 */
final class RouteCheck {
  private static final Logger log = LoggerFactory.getLogger(RouteCheck.class);

  private final InferenceServiceRouting routing;
  private final ConfigLoader loader;

  /** Each checked configuration → why it cannot be served, or "" when it can. */
  private Map<String, String> verdicts = new HashMap<>();

  private volatile Map<String, String> refused = Map.of();

  RouteCheck(InferenceServiceRouting routing, ConfigLoader loader) {
    this.routing = routing;
    this.loader = loader;
  }

  /** {@code namespace/name} → why that InferenceService's route was left out at the last check. */
  Map<String, String> refused() {
    return refused;
  }

  /** The routes that can be served, in order; the others are logged once and kept in refused. */
  List<InferenceServiceRouting.Route> accepted(List<InferenceServiceRouting.Route> routes) {
    Map<String, InferenceServiceRouting.Route> byApplication = new HashMap<>();
    routes.forEach(route -> byApplication.putIfAbsent(route.application(), route));
    List<InferenceServiceRouting.Route> accepted = new ArrayList<>();
    Map<String, String> problems = new LinkedHashMap<>();
    Map<String, String> kept = new HashMap<>();
    for (InferenceServiceRouting.Route route : routes) {
      List<InferenceServiceRouting.Route> together = new ArrayList<>(List.of(route));
      String problem = null;
      for (String needed : route.needs()) {
        InferenceServiceRouting.Route other = byApplication.get(needed);
        if (other == null) {
          problem = "it mirrors traffic to '" + needed + "', which has no route";
        } else if (!other.equals(route)) {
          together.add(other);
        }
      }
      if (problem == null) {
        String yaml = routing.configuration(together);
        problem = verdicts.get(yaml);
        if (problem == null) {
          problem = check(yaml);
        }
        kept.put(yaml, problem);
      }
      String key = route.namespace() + "/" + route.name();
      if (problem.isEmpty()) {
        accepted.add(route);
      } else {
        problems.put(key, problem);
        if (!problem.equals(refused.get(key))) {
          log.warn("InferenceService {} not routed: {}", key, problem);
        }
      }
    }
    verdicts = kept;
    refused = Map.copyOf(problems);
    return accepted;
  }

  /** Why a configuration cannot be served, or "" when it can. */
  private String check(String yaml) {
    try {
      loader.validate(loader.parse(yaml), Path.of(".").toAbsolutePath());
      return "";
    } catch (ConfigException e) {
      return e.getMessage();
    } catch (RuntimeException e) {
      return e.toString();
    }
  }
}
