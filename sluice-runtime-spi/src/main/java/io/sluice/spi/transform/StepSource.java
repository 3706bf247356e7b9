package io.sluice.spi.transform;

import io.sluice.spi.ModelLoadException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a transformer step is made from.
 *
 * @param modelLocation the predictor's local file or directory; relative paths in settings resolve
 *     against its directory
 * @param settings the step's settings from the configuration
 */
public record StepSource(Path modelLocation, Map<String, String> settings) {
  public StepSource {
    Objects.requireNonNull(modelLocation, "modelLocation");
    settings = settings == null ? Map.of() : Map.copyOf(settings);
  }

  /** A setting, or {@code fallback} when absent or blank. */
  public String setting(String key, String fallback) {
    String value = settings.get(key);
    return value == null || value.isBlank() ? fallback : value.strip();
  }

  /**
   * A file named by a setting, resolved against the model's directory; null when the setting is
   * absent.
   */
  public Path file(String key) {
    String value = setting(key, null);
    if (value == null) {
      return null;
    }
    Path directory =
        java.nio.file.Files.isDirectory(modelLocation)
            ? modelLocation
            : modelLocation.toAbsolutePath().getParent();
    return directory.resolve(value).normalize();
  }

  /** An integer setting of at least {@code min}, or {@code fallback} when absent. */
  public int intSetting(String key, int fallback, int min) throws ModelLoadException {
    String value = setting(key, null);
    if (value == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(value);
      if (parsed >= min) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ModelLoadException(
        key + " must be an integer of at least " + min + ", got '" + value + "'");
  }

  /** Comma-separated numbers, or {@code fallback} when absent. */
  public float[] floats(String key, float[] fallback) throws ModelLoadException {
    String value = setting(key, null);
    if (value == null) {
      return fallback;
    }
    String[] parts = value.split(",");
    float[] numbers = new float[parts.length];
    try {
      for (int i = 0; i < parts.length; i++) {
        numbers[i] = Float.parseFloat(parts[i].strip());
      }
    } catch (NumberFormatException e) {
      throw new ModelLoadException(key + " must be comma-separated numbers, got '" + value + "'");
    }
    return numbers;
  }
}
