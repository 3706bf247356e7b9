package io.sluice.engine.placement;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where a replica runs: the devices it holds, the share of each and the memory reserved on each. An
 * empty placement means the host's CPUs only.
 */
public record Placement(List<Accelerator> devices, double share, long memoryBytes) {
  public static final Placement CPU_ONLY = new Placement(List.of(), 0, 0);

  public Placement {
    devices = List.copyOf(devices);
  }

  /**
   * The environment a worker process gets so that it sees only its devices, e.g. {@code
   * CUDA_VISIBLE_DEVICES=1}.
   */
  public Map<String, String> visibilityEnvironment() {
    Map<String, String> environment = new LinkedHashMap<>();
    for (Accelerator device : devices) {
      environment.merge(
          device.visibilityVariable(), device.visibilityValue(), (a, b) -> a + "," + b);
    }
    return environment;
  }

  /**
   * What a runtime is told of its placement, next to the deployment's own settings: {@code
   * placement.vendor} ({@code nvidia}, {@code amd}, {@code intel}), {@code placement.devices} (the
   * vendor's indexes, comma separated) and {@code placement.memoryBytes} (the memory reserved on
   * each). Nothing for the CPU.
   */
  public Map<String, String> runtimeSettings() {
    if (devices.isEmpty()) {
      return Map.of();
    }
    return Map.of(
        "placement.vendor",
        devices.getFirst().vendor(),
        "placement.devices",
        devices.stream().map(d -> Integer.toString(d.index())).collect(Collectors.joining(",")),
        "placement.memoryBytes",
        Long.toString(memoryBytes));
  }

  public String describe() {
    if (devices.isEmpty()) {
      return "cpu";
    }
    return devices.stream()
        .map(d -> d.id() + (share < 1 ? " x" + share : ""))
        .collect(Collectors.joining(", "));
  }
}
