package io.sluice.operator.route;

/** The Sluice routers' Service ({@code namespace/name}, from the chart). */
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
}
