package io.sluice.operator.route;

import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;

/** The Sluice routers' Service ({@code namespace/name}, from the chart) and its ready pods. */
public record RouterService(String namespace, String name) {
  /**
   * @param reference {@code namespace/name}
   */
  public static RouterService parse(String reference) {
    String[] parts = reference.split("/", 2);
    if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
      throw new IllegalArgumentException(
          "the router Service must be given as namespace/name, not '" + reference + "'");
    }
    return new RouterService(parts[0].strip(), parts[1].strip());
  }

  /**
   * The ready router pods and their ports, as the Service's Endpoints list them (empty when there
   * are none).
   */
  public List<EndpointSubset> pods(KubernetesClient client) {
    Endpoints endpoints = client.endpoints().inNamespace(namespace).withName(name).get();
    return endpoints == null || endpoints.getSubsets() == null ? List.of() : endpoints.getSubsets();
  }
}
