package io.sluice.engine.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The accelerator inventory and host memory budget of this host, and who holds what. Fractional
 * requests are packed best-fit: onto the matching device with enough free share and memory that
 * leaves the least share free, so small replicas fill partly used devices before opening new ones.
 * Whole-device requests take devices nobody holds any of. Host memory is a budget shared by every
 * replica (its footprint, see {@link #reserve(String, ResourceRequest, long)}). Nothing is ever
 * oversubscribed: a request that does not fit is refused with the reason.
 */
public final class Placer {
  private static final double EPSILON = 1e-9;

  private final List<Accelerator> inventory;
  private final Map<String, Double> shareUsed = new HashMap<>();
  private final Map<String, Long> memoryUsed = new HashMap<>();
  private final Map<String, Placement> holders = new LinkedHashMap<>();
  private final Map<String, Long> hostMemory = new HashMap<>();
  private final long hostMemoryBudget;
  private long hostMemoryUsed;

  /** A placer without a host memory budget (replicas' host memory is not counted against any). */
  public Placer(List<Accelerator> inventory) {
    this(inventory, Long.MAX_VALUE);
  }

  /**
   * @param hostMemoryBudget bytes of host memory that replicas may hold together
   */
  public Placer(List<Accelerator> inventory, long hostMemoryBudget) {
    if (hostMemoryBudget <= 0) {
      throw new IllegalArgumentException("the host memory budget must be positive");
    }
    this.inventory = List.copyOf(inventory);
    this.hostMemoryBudget = hostMemoryBudget;
  }

  /** Bytes of host memory replicas may hold together; {@link Long#MAX_VALUE} for no budget. */
  public long hostMemoryBudget() {
    return hostMemoryBudget;
  }

  /** Whether host memory is budgeted at all. */
  public boolean hasHostMemoryBudget() {
    return hostMemoryBudget != Long.MAX_VALUE;
  }

  /** Bytes of host memory the holders hold now. */
  public synchronized long hostMemoryUsed() {
    return hostMemoryUsed;
  }

  /** The host memory {@code holder} holds, 0 if none. */
  public synchronized long hostMemoryOf(String holder) {
    return hostMemory.getOrDefault(holder, 0L);
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
   * Reserves resources for {@code holder} (a replica id), host memory as the request declares it;
   * idempotent for a holder that already has some.
   */
  public Result reserve(String holder, ResourceRequest request) {
    return reserve(holder, request, request.memoryBytes());
  }

  /**
   * Reserves resources for {@code holder} (a replica id) with {@code hostBytes} of host memory (its
   * footprint: what it declares, or more when it was measured larger); idempotent for a holder that
   * already has some.
   */
  public synchronized Result reserve(String holder, ResourceRequest request, long hostBytes) {
    Placement existing = holders.get(holder);
    if (existing != null) {
      return new Result(existing, null);
    }
    if (hostMemoryUsed + hostBytes > hostMemoryBudget) {
      return refuse(
          "host memory: needs "
              + Sizes.describe(hostBytes)
              + ", "
              + Sizes.describe(hostMemoryBudget - hostMemoryUsed)
              + " of the "
              + Sizes.describe(hostMemoryBudget)
              + " budget free");
    }
    if (!request.needsAccelerator()) {
      hold(holder, Placement.CPU_ONLY, hostBytes);
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
    hold(holder, placement, hostBytes);
    return new Result(placement, null);
  }

  private void hold(String holder, Placement placement, long hostBytes) {
    holders.put(holder, placement);
    hostMemory.put(holder, hostBytes);
    hostMemoryUsed += hostBytes;
  }

  /**
   * Sets the host memory {@code holder} holds to what it was measured to need once loaded; it may
   * take the total past the budget (the model is already loaded): the caller makes room.
   */
  public synchronized void resize(String holder, long hostBytes) {
    Long before = hostMemory.get(holder);
    if (before == null) {
      return;
    }
    hostMemory.put(holder, hostBytes);
    hostMemoryUsed += hostBytes - before;
  }

  /** Why {@code request} could not be placed even on an empty host, or null when it could. */
  public String neverFits(ResourceRequest request, long hostBytes) {
    if (hostBytes > hostMemoryBudget) {
      return "it needs "
          + Sizes.describe(hostBytes)
          + " of host memory and the whole budget is "
          + Sizes.describe(hostMemoryBudget);
    }
    if (!request.needsAccelerator()) {
      return null;
    }
    List<Accelerator> candidates =
        inventory.stream()
            .filter(a -> a.matches(request.acceleratorType()))
            .filter(a -> a.memoryBytes() >= request.gpuMemoryBytes())
            .toList();
    if (candidates.size() < Math.max(1, (int) request.gpus())) {
      return "it needs gpus="
          + request.gpus()
          + (request.gpuMemoryBytes() > 0
              ? " with " + Sizes.describe(request.gpuMemoryBytes()) + " each"
              : "")
          + " and this host has "
          + candidates.size()
          + " such device(s)";
    }
    return null;
  }

  /**
   * Whether {@code request} with {@code hostBytes} would be placed if {@code leaving} (holders)
   * gave back what they hold.
   */
  public synchronized boolean fitsWithout(
      ResourceRequest request, long hostBytes, java.util.Collection<String> leaving) {
    long hostAfter = hostMemoryUsed;
    Map<String, Double> shareAfter = new HashMap<>(shareUsed);
    Map<String, Long> memoryAfter = new HashMap<>(memoryUsed);
    for (String holder : leaving) {
      Placement placement = holders.get(holder);
      if (placement == null) {
        continue;
      }
      hostAfter -= hostMemory.getOrDefault(holder, 0L);
      for (Accelerator device : placement.devices()) {
        shareAfter.merge(device.id(), -placement.share(), Double::sum);
        memoryAfter.merge(device.id(), -placement.memoryBytes(), Long::sum);
      }
    }
    if (hostAfter + hostBytes > hostMemoryBudget) {
      return false;
    }
    if (!request.needsAccelerator()) {
      return true;
    }
    List<Accelerator> candidates =
        inventory.stream().filter(a -> a.matches(request.acceleratorType())).toList();
    if (request.gpus() <= 1) {
      for (Accelerator device : candidates) {
        if (1 - shareAfter.getOrDefault(device.id(), 0.0) - request.gpus() >= -EPSILON
            && device.memoryBytes()
                    - memoryAfter.getOrDefault(device.id(), 0L)
                    - request.gpuMemoryBytes()
                >= 0) {
          return true;
        }
      }
      return false;
    }
    long free =
        candidates.stream()
            .filter(d -> shareAfter.getOrDefault(d.id(), 0.0) < EPSILON)
            .filter(d -> d.memoryBytes() >= request.gpuMemoryBytes())
            .count();
    return free >= (int) request.gpus();
  }

  /** Whether {@code holder} holds a share of one of the devices {@code request} could use. */
  public synchronized boolean holdsDeviceFor(String holder, ResourceRequest request) {
    Placement placement = holders.get(holder);
    return placement != null
        && placement.devices().stream().anyMatch(d -> d.matches(request.acceleratorType()));
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
    hostMemoryUsed -= hostMemory.getOrDefault(holder, 0L);
    hostMemory.remove(holder);
    for (Accelerator device : placement.devices()) {
      shareUsed.merge(device.id(), -placement.share(), Double::sum);
      memoryUsed.merge(device.id(), -placement.memoryBytes(), Long::sum);
    }
  }

  /** Accelerator memory reserved per device id, for status and metrics. */
  public synchronized Map<String, Long> memoryInUse() {
    Map<String, Long> used = new LinkedHashMap<>();
    for (Accelerator device : inventory) {
      used.put(device.id(), memoryUsed.getOrDefault(device.id(), 0L));
    }
    return used;
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
