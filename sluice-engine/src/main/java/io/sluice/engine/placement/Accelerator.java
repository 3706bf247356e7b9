package io.sluice.engine.placement;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One accelerator device: discovered ({@code nvidia-smi}, {@code rocm-smi}, Intel sysfs) or
 * declared in configuration.
 *
 * @param id a name unique on this host, e.g. {@code gpu0}
 * @param vendor {@code nvidia}, {@code amd} or {@code intel}
 * @param index the vendor's device index, used in its visibility variable
 * @param type a model name such as {@code A100}, or "" when unknown; {@code
 *     resources.acceleratorType} matches it
 * @param memoryBytes device memory
 */
public record Accelerator(String id, String vendor, int index, String type, long memoryBytes) {
  public Accelerator {
    Objects.requireNonNull(id, "id");
    vendor = vendor.toLowerCase(Locale.ROOT);
    type = type == null ? "" : type;
    if (!VISIBILITY.containsKey(vendor)) {
      throw new IllegalArgumentException(
          "unknown accelerator vendor '" + vendor + "'; expected nvidia, amd or intel");
    }
  }

  private static final Map<String, String> VISIBILITY =
      Map.of(
          "nvidia", "CUDA_VISIBLE_DEVICES",
          "amd", "HIP_VISIBLE_DEVICES",
          "intel", "ONEAPI_DEVICE_SELECTOR");

  /** The environment variable that pins a worker process to devices of this vendor. */
  public String visibilityVariable() {
    return VISIBILITY.get(vendor);
  }

  /**
   * The variable's value for this device alone ({@code level_zero:N} for Intel's oneAPI selector).
   */
  public String visibilityValue() {
    return vendor.equals("intel") ? "level_zero:" + index : Integer.toString(index);
  }

  /**
   * Whether {@code wanted} (a {@code resources.acceleratorType}) names this device's vendor or
   * type.
   */
  public boolean matches(String wanted) {
    if (wanted == null || wanted.isBlank()) {
      return true;
    }
    String w = wanted.toLowerCase(Locale.ROOT);
    return w.equals(vendor) || type.toLowerCase(Locale.ROOT).contains(w);
  }
}
