package io.sluice.engine.replica;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The servers behind remote endpoints that name a group of servers rather than one (a Kubernetes
 * Service and its ready pods). A remote deployment whose endpoint is listed here gets one replica
 * per server, following the group as it changes, so routing, queueing and retries see each server;
 * an endpoint not listed is one server. Filled by whoever knows the groups; the engine only reads
 * it.
 */
public final class EndpointDirectory {
  private volatile Map<String, List<URI>> groups = Map.of();

  /**
   * Replaces every group: endpoint host → the servers behind it now (an empty list: none, scaled to
   * zero).
   */
  public void update(Map<String, List<URI>> groupsByHost) {
    this.groups = Map.copyOf(groupsByHost);
  }

  /**
   * The servers behind {@code endpoint} now, or empty when the directory does not know it as a
   * group.
   */
  public Optional<List<URI>> members(URI endpoint) {
    return endpoint == null || endpoint.getHost() == null
        ? Optional.empty()
        : Optional.ofNullable(groups.get(endpoint.getHost()));
  }
}
