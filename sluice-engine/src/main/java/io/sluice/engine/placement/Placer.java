package io.sluice.engine.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The accelerator inventory of this host and who holds what. Fractional requests are packed
 * best-fit: onto the matching device with enough free share and memory that leaves the least share
 * free, so small replicas fill partly used devices before opening new ones. Whole-device requests
 * take devices nobody holds any of. Nothing is ever oversubscribed: a request that does not fit is
 * refused with the reason.
 */
public final class Placer {
  private static final double EPSILON = 1e-9;

  private final List<Accelerator> inventory;
  private final Map<String, Double> shareUsed = new HashMap<>();
  private final Map<String, Long> memoryUsed = new HashMap<>();
  private final Map<String, Placement> holders = new LinkedHashMap<>();

  public Placer(List<Accelerator> inventory) {
    this.inventory = List.copyOf(inventory);
  }

  public List<Accelerator> inventory() {
    return inventory;
  }

  /** The result of a reservation: a placement, or the reason there is none. */
  public record Result(Placement placement, String refusal) {
    public boolean placed() {
      return placement != null;
    }
  }

  /**
   * Reserves resources for {@code holder} (a replica id); idempotent for a holder that already has
   * some.
   */
  public synchronized Result reserve(String holder, ResourceRequest request) {
    Placement existing = holders.get(holder);
    if (existing != null) {
      return new Result(existing, null);
    }
    if (!request.needsAccelerator()) {
      holders.put(holder, Placement.CPU_ONLY);
      return new Result(Placement.CPU_ONLY, null);
    }
    List<Accelerator> candidates =
        inventory.stream().filter(a -> a.matches(request.acceleratorType())).toList();
    if (candidates.isEmpty()) {
      return refuse(
          request.acceleratorType() == null || request.acceleratorType().isBlank()
              ? "no accelerators on this host (declare them under accelerators:, or install the vendor's tools)"
              : "no accelerator matches acceleratorType '" + request.acceleratorType() + "'");
    }
    Placement placement =
        request.gpus() <= 1 ? fraction(candidates, request) : whole(candidates, request);
    if (placement == null) {
      return refuse(whyNot(candidates, request));
    }
    for (Accelerator device : placement.devices()) {
      shareUsed.merge(device.id(), placement.share(), Double::sum);
      memoryUsed.merge(device.id(), placement.memoryBytes(), Long::sum);
    }
    holders.put(holder, placement);
    return new Result(placement, null);
  }

  private Placement fraction(List<Accelerator> candidates, ResourceRequest request) {
    Accelerator best = null;
    double bestLeft = Double.MAX_VALUE;
    for (Accelerator device : candidates) {
      double left = 1 - shareUsed.getOrDefault(device.id(), 0.0) - request.gpus();
      long memoryLeft =
          device.memoryBytes()
              - memoryUsed.getOrDefault(device.id(), 0L)
              - request.gpuMemoryBytes();
      if (left >= -EPSILON && memoryLeft >= 0 && left < bestLeft) {
        best = device;
        bestLeft = left;
      }
    }
    return best == null
        ? null
        : new Placement(List.of(best), request.gpus(), request.gpuMemoryBytes());
  }

  private Placement whole(List<Accelerator> candidates, ResourceRequest request) {
    List<Accelerator> free = new ArrayList<>();
    for (Accelerator device : candidates) {
      if (shareUsed.getOrDefault(device.id(), 0.0) < EPSILON
          && device.memoryBytes() >= request.gpuMemoryBytes()) {
        free.add(device);
      }
    }
    int wanted = (int) request.gpus();
    if (free.size() < wanted) {
      return null;
    }
    free.sort(Comparator.comparingLong(Accelerator::memoryBytes));
    return new Placement(free.subList(0, wanted), 1, request.gpuMemoryBytes());
  }

  private String whyNot(List<Accelerator> candidates, ResourceRequest request) {
    StringBuilder why =
        new StringBuilder(
            "no accelerator has room for gpus="
                + request.gpus()
                + (request.gpuMemoryBytes() > 0
                    ? " and gpuMemory=" + request.gpuMemoryBytes() + " bytes"
                    : "")
                + ":");
    for (Accelerator device : candidates) {
      why.append(' ')
          .append(device.id())
          .append(" has ")
          .append(
              String.format(
                  java.util.Locale.ROOT, "%.2f", 1 - shareUsed.getOrDefault(device.id(), 0.0)))
          .append(" share and ")
          .append(device.memoryBytes() - memoryUsed.getOrDefault(device.id(), 0L))
          .append(" bytes free;");
    }
    return why.substring(0, why.length() - 1);
  }

  private static Result refuse(String reason) {
    return new Result(null, reason);
  }

  /** Gives back what {@code holder} reserved. */
  public synchronized void release(String holder) {
    Placement placement = holders.remove(holder);
    if (placement == null) {
      return;
    }
    for (Accelerator device : placement.devices()) {
      shareUsed.merge(device.id(), -placement.share(), Double::sum);
      memoryUsed.merge(device.id(), -placement.memoryBytes(), Long::sum);
    }
  }

  /** Share in use per device id, for status. */
  public synchronized Map<String, Double> shareInUse() {
    Map<String, Double> used = new LinkedHashMap<>();
    for (Accelerator device : inventory) {
      used.put(device.id(), shareUsed.getOrDefault(device.id(), 0.0));
    }
    return used;
  }
}
