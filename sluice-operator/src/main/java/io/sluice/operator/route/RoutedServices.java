package io.sluice.operator.route;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which InferenceServices every router serves, from the routers' last status reports (their
 * applications are named {@code {name}.{namespace}}): a service is only Ready once each router has
 * taken its route, so that a client who waits for Ready is not answered 404. Until the first report
 * (or without routers) every service counts as routed.
 */
public final class RoutedServices {
  private volatile Set<String> everywhere;
  private volatile int routers;

  /** The applications each router that answered serves. */
  public void update(List<Set<String>> perRouter) {
    if (perRouter.isEmpty()) {
      return;
    }
    Set<String> common = new HashSet<>(perRouter.getFirst());
    perRouter.forEach(common::retainAll);
    everywhere = Set.copyOf(common);
    routers = perRouter.size();
  }

  /** Why the routers do not all serve the service yet, or null when they do. */
  public String notRouted(String namespace, String name) {
    Set<String> routed = everywhere;
    if (routed == null || routed.contains(name + "." + namespace)) {
      return null;
    }
    return routers == 1
        ? "the router has not taken the route yet"
        : "not every router (" + routers + ") has taken the route yet";
  }
}
