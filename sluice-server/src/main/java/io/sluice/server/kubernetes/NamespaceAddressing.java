package io.sluice.server.kubernetes;

import io.sluice.server.http.RequestAddressing;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Which InferenceService a request sent to a router means. Every {@code {isvc}-predictor} Service
 * is an alias of the routers, so the address a request was sent to names its namespace: the host
 * {@code calc-predictor.team-a} (with or without {@code .svc.cluster.local}, any port) or the
 * alias's cluster IP reaches team-a's {@code calc} and no other, whatever the path; a short {@code
 * calc-predictor} reaches the one service of that name when only one namespace has it. On the
 * router's own address the path names it: {@code /team-a/calc/v2/...}, or {@code /calc/v2/...} when
 * the name is unique. A leading {@code /{isvc}} before a protocol path (the seed's addresses) is
 * dropped. Everything else is routed as it came.
 */
public final class NamespaceAddressing implements RequestAddressing {
  private static final String PREDICTOR = "-predictor";

  private record Table(
      Map<String, InferenceServiceRouting.Route> byKey,
      Map<String, List<InferenceServiceRouting.Route>> byName,
      Map<String, InferenceServiceRouting.Route> byAddress) {}

  private volatile Table table = new Table(Map.of(), Map.of(), Map.of());

  /**
   * The routes now served, and the cluster IP of each one's alias.
   *
   * @param aliasAddresses cluster IP → {@code namespace/name}
   */
  public void update(
      Collection<InferenceServiceRouting.Route> routes, Map<String, String> aliasAddresses) {
    Map<String, InferenceServiceRouting.Route> byKey = new HashMap<>();
    Map<String, List<InferenceServiceRouting.Route>> byName = new HashMap<>();
    for (InferenceServiceRouting.Route route : routes) {
      byKey.put(route.namespace() + "/" + route.name(), route);
      byName.computeIfAbsent(route.name(), name -> new ArrayList<>()).add(route);
    }
    Map<String, InferenceServiceRouting.Route> byAddress = new HashMap<>();
    aliasAddresses.forEach(
        (address, key) -> {
          InferenceServiceRouting.Route route = byKey.get(key);
          if (route != null) {
            byAddress.put(address, route);
          }
        });
    table = new Table(byKey, byName, byAddress);
  }

  @Override
  public String applicationOf(String host) {
    InferenceServiceRouting.Route route = addressed(table, host);
    return route == null ? null : route.application();
  }

  @Override
  public String route(String host, String path) {
    Table current = table;
    InferenceServiceRouting.Route route = addressed(current, host);
    if (route != null) {
      String rest = afterSegment(path, route.name());
      return "/" + route.application() + (rest != null && protocolPath(rest) ? rest : path);
    }
    String[] segments = path.split("/", 4); // "", first, second, rest
    if (segments.length >= 3) {
      route = current.byKey().get(segments[1] + "/" + segments[2]);
      String rest =
          route == null ? null : afterSegment(afterSegment(path, segments[1]), route.name());
      if (rest != null && protocolPath(rest)) {
        return "/" + route.application() + rest;
      }
    }
    if (segments.length >= 2) {
      route = unique(current, segments[1]);
      String rest = route == null ? null : afterSegment(path, route.name());
      if (rest != null && protocolPath(rest)) {
        return "/" + route.application() + rest;
      }
    }
    return null;
  }

  /** The route a host (a DNS name or cluster IP, maybe with a port) is an alias of, or null. */
  private static InferenceServiceRouting.Route addressed(Table table, String host) {
    if (host == null || host.isEmpty()) {
      return null;
    }
    String name = host.toLowerCase(Locale.ROOT);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    InferenceServiceRouting.Route byAddress =
        table.byAddress().get(name.startsWith("[") ? name.substring(1, name.length() - 1) : name);
    if (byAddress != null) {
      return byAddress;
    }
    String[] labels = name.split("\\.");
    if (!labels[0].endsWith(PREDICTOR) || labels.length > 2 && !labels[2].equals("svc")) {
      return null;
    }
    String service = labels[0].substring(0, labels[0].length() - PREDICTOR.length());
    return labels.length == 1
        ? unique(table, service)
        : table.byKey().get(labels[1] + "/" + service);
  }

  private static InferenceServiceRouting.Route unique(Table table, String name) {
    List<InferenceServiceRouting.Route> routes = table.byName().get(name);
    return routes != null && routes.size() == 1 ? routes.getFirst() : null;
  }

  /** The path after a leading {@code /segment}, or null when it does not start with it. */
  private static String afterSegment(String path, String segment) {
    if (path == null || !path.startsWith("/" + segment)) {
      return null;
    }
    String rest = path.substring(segment.length() + 1);
    return rest.isEmpty() || rest.startsWith("/") ? rest : null;
  }

  private static boolean protocolPath(String path) {
    return path.startsWith("/v1/")
        || path.startsWith("/v2/")
        || path.startsWith("/openai/")
        || path.equals("/v2");
  }
}
