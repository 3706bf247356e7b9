package io.sluice.runtime.llm;

import io.sluice.spi.ModelLoadException;
import java.util.Map;
import java.util.Set;

/**
 * Which llama.cpp build a replica loads and how much of the model goes to its GPU, from the
 * deployment's settings and Sluice's placement ({@code placement.vendor}, {@code
 * placement.devices}, {@code placement.memoryBytes}): NVIDIA cards get the CUDA build, AMD and
 * Intel cards the Vulkan build (whichever of them is installed), the CPU the CPU build. Without
 * {@code gpuLayers}, every layer goes to the GPU when the reserved memory holds the weights with a
 * fifth to spare (KV cache, compute buffers), else as many layers as fit in four fifths of it; a
 * fraction of a card thus becomes a memory budget.
 */
record GpuOffload(String build, int gpuLayers, Map<String, String> environment) {
  static String build(Map<String, String> settings, Set<String> installed)
      throws ModelLoadException {
    String build = settings.get("build");
    if (build != null) {
      if (!Set.of("cpu", "cuda", "vulkan").contains(build)) {
        throw new ModelLoadException("build must be cpu, cuda or vulkan, got '" + build + "'");
      }
      return build;
    }
    String vendor = settings.get("placement.vendor");
    if (vendor == null) {
      return "cpu";
    }
    if (vendor.equals("nvidia") && installed.contains("cuda")) {
      return "cuda";
    }
    return installed.contains("vulkan") ? "vulkan" : "cpu";
  }

  /**
   * What the build needs in the environment before it loads: Vulkan sees only the placed devices.
   */
  static Map<String, String> environment(String build, Map<String, String> settings) {
    String devices = settings.get("placement.devices");
    return build.equals("vulkan") && devices != null
        ? Map.of("GGML_VK_VISIBLE_DEVICES", devices)
        : Map.of();
  }

  /**
   * Layers to offload: the {@code gpuLayers} setting, else what the placement's memory holds (-1:
   * all).
   */
  static int gpuLayers(String build, Map<String, String> settings, long fileBytes, int layers)
      throws ModelLoadException {
    String configured = settings.get("gpuLayers");
    if (configured != null) {
      try {
        int value = Integer.parseInt(configured.trim());
        if (value >= -1) {
          return value;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new ModelLoadException(
          "gpuLayers must be -1 (all) or a layer count, got '" + configured + "'");
    }
    if (build.equals("cpu")) {
      return 0;
    }
    long budget = Long.parseLong(settings.getOrDefault("placement.memoryBytes", "0"));
    if (budget <= 0 || budget >= fileBytes + fileBytes / 5) {
      return -1;
    }
    long perLayer = Math.max(1, fileBytes / Math.max(1, layers));
    return (int) Math.min(layers, budget * 4 / 5 / perLayer);
  }
}
