package io.sluice.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where a model lives on local disk and how the deployment wants it run.
 *
 * @param name the model name clients use
 * @param version the version label, never null ("1" when the configuration names none)
 * @param location a local file or directory, already fetched from its storage URI
 * @param settings runtime-specific settings from the deployment's configuration
 */
public record ModelSource(
    String name, String version, Path location, Map<String, String> settings) {
  /**
   * Settings {@code adapter.NAME} name LoRA adapters (a file each) served with the model, which a
   * request picks by naming the adapter as its model.
   */
  public static final String ADAPTER_PREFIX = "adapter.";

  public ModelSource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(location, "location");
    settings = settings == null ? Map.of() : Map.copyOf(settings);
  }

  /**
   * An integer setting, or {@code fallback} when absent.
   *
   * @throws ModelLoadException when it is not an integer of at least {@code min}
   */
  public int intSetting(String key, int fallback, int min) throws ModelLoadException {
    String value = settings.get(key);
    if (value == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value.trim());
      if (parsed >= min) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ModelLoadException(
        key + " must be an integer of at least " + min + ", got '" + value + "'");
  }

  /**
   * The LoRA adapters to serve with the model ({@link #ADAPTER_PREFIX}), by name, in name order.
   */
  public java.util.SortedMap<String, Path> adapters() {
    java.util.SortedMap<String, Path> adapters = new java.util.TreeMap<>();
    settings.forEach(
        (key, value) -> {
          if (key.startsWith(ADAPTER_PREFIX)) {
            adapters.put(key.substring(ADAPTER_PREFIX.length()), Path.of(value));
          }
        });
    return adapters;
  }
}
