package io.sluice.engine.placement;

/**
 * What one replica needs ({@code resources} in configuration). {@code gpus} is a fraction of one
 * device (0.5) or a whole number of devices (2); {@code gpuMemoryBytes} is reserved on each device
 * it uses. {@code cpus} and {@code memoryBytes} are recorded for status; this machine-local placer
 * does not pack them.
 */
public record ResourceRequest(
    double cpus, long memoryBytes, double gpus, long gpuMemoryBytes, String acceleratorType) {
  public static final ResourceRequest NONE = new ResourceRequest(0, 0, 0, 0, null);

  public ResourceRequest {
    if (gpus < 0 || (gpus > 1 && gpus != Math.rint(gpus))) {
      throw new IllegalArgumentException(
          "gpus must be a fraction of one device (0 < gpus <= 1) or a whole number");
    }
    if (gpuMemoryBytes < 0 || cpus < 0 || memoryBytes < 0) {
      throw new IllegalArgumentException("resources must not be negative");
    }
  }

  public boolean needsAccelerator() {
    return gpus > 0;
  }
}
