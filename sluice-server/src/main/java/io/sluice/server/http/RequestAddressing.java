package io.sluice.server.http;

/**
 * Where a request goes when the address it was sent to (its Host or {@code :authority}) says more
 * than its path: on a Kubernetes router, {@code calc-predictor.team-a} means team-a's {@code calc}
 * whatever the path. Absent, requests are routed by their paths alone.
 */
public interface RequestAddressing {
  /** The application a host addresses (a gRPC call's models), or null. */
  String applicationOf(String host);

  /**
   * The path a REST request is routed by: under the application its host or path addresses; null to
   * route it as it came.
   */
  String route(String host, String path);
}
