package io.sluice.server.config;

/**
 * A configuration problem, located by its YAML path: {@code
 * applications[0].deployments[1].storageUri: no such file}.
 */
public final class ConfigException extends Exception {
  private final String path;

  public ConfigException(String path, String problem) {
    super(path.isEmpty() ? problem : path + ": " + problem);
    this.path = path;
  }

  public String path() {
    return path;
  }
}
