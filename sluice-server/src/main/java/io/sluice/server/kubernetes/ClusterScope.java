package io.sluice.server.kubernetes;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The InferenceServices a router serves: those of {@code namespaces} (empty: every namespace)
 * matching {@code serviceSelector} (a label selector; empty: all), as the operator's.
 */
public record ClusterScope(Set<String> namespaces, String serviceSelector) {
  public ClusterScope {
    namespaces = Set.copyOf(namespaces);
    serviceSelector = serviceSelector == null ? "" : serviceSelector.strip();
  }

  /** {@code SLUICE_WATCH_NAMESPACES} (comma-separated) and {@code SLUICE_SERVICE_SELECTOR}. */
  public static ClusterScope fromEnvironment() {
    return new ClusterScope(
        Arrays.stream(System.getenv().getOrDefault("SLUICE_WATCH_NAMESPACES", "").split(","))
            .map(String::strip)
            .filter(namespace -> !namespace.isEmpty())
            .collect(Collectors.toSet()),
        System.getenv().getOrDefault("SLUICE_SERVICE_SELECTOR", ""));
  }

  /** The query that selects the served InferenceServices ({@code labelSelector=...}), or "". */
  String serviceQuery() {
    return serviceSelector.isEmpty()
        ? ""
        : "labelSelector="
            + java.net.URLEncoder.encode(serviceSelector, java.nio.charset.StandardCharsets.UTF_8);
  }
}
