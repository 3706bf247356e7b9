package io.sluice.operator.predictor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pod that owns one accelerator and serves every InferenceService of its pool that asks for a
 * fraction of it (the seed's 0.5 + 0.5 on one GPU), Sluice's placement dividing the device inside
 * the pod. Every service of the pool that asks for the same device and runs the same image is a
 * member; when their shares together exceed the device they take turns on it ({@link #swaps()}).
 *
 * @param name the pool's objects' name, {@code sluice-pool-{pool}}
 * @param members the services served by the pod, in order
 * @param refused why each service left out cannot be served, by service name
 */
public record AcceleratorPool(
    String pool,
    String name,
    GpuRequest device,
    String image,
    List<PredictorPlan> members,
    Map<String, String> refused) {
  private static final double EPSILON = 1e-9;

  /**
   * @param candidates the plans of the pool's services (problem-free), oldest first
   */
  public static AcceleratorPool of(String pool, List<PredictorPlan> candidates) {
    List<PredictorPlan> members = new ArrayList<>();
    Map<String, String> refused = new LinkedHashMap<>();
    double used = 0;
    GpuRequest device = null;
    String image = null;
    for (PredictorPlan plan : candidates) {
      GpuRequest gpu = plan.gpu();
      if (device == null) {
        device = new GpuRequest(gpu.resource(), gpu.vendor(), 1);
        image = plan.image();
      }
      if (!gpu.resource().equals(device.resource())) {
        refused.put(
            plan.isvc(),
            "accelerator pool '"
                + pool
                + "' shares a "
                + device.resource()
                + ", not a "
                + gpu.resource());
      } else if (!plan.image().equals(image)) {
        refused.put(
            plan.isvc(),
            "accelerator pool '"
                + pool
                + "' runs "
                + image
                + "; this service's runtime is "
                + plan.image());
      } else {
        used += gpu.amount();
        members.add(plan);
      }
    }
    return new AcceleratorPool(
        pool, Naming.pool(pool), device, image, List.copyOf(members), Map.copyOf(refused));
  }

  /**
   * Whether the members' shares together exceed the device: they then take turns on it, each loaded
   * on demand and swapped out for another by the engine's residency rules (idle least recently used
   * first; a busy one after its quantum when another waits).
   */
  public boolean swaps() {
    double total = 0;
    for (PredictorPlan plan : members) {
      total += plan.gpu().amount();
    }
    return total > 1 + EPSILON;
  }

  /**
   * Where a member's model is in the pod: each claim mounted once, at {@code /mnt/models/{claim}}
   * (the kubelet never finishes mounting one claim twice in a pod).
   */
  public static String modelPath(PredictorPlan plan) {
    if (plan.claim() == null) {
      return plan.modelPath();
    }
    String mount = PredictorPlan.MODEL_MOUNT + "/" + plan.claim();
    return plan.claimPath().isEmpty() ? mount : mount + "/" + plan.claimPath();
  }

  /**
   * The pod's Sluice configuration: an application per member, each placed on its share of the one
   * device (found by the vendor's tool in the pod, or declared from the first member's
   * accelerator-memory annotation); members that do not fit together load on demand ({@code
   * keepAlive: -1}) and swap.
   */
  public Map<String, Object> sluiceConfig() {
    Map<String, Object> config = PredictorPlan.server();
    config.put(
        "applications",
        members.stream().map(plan -> plan.application(modelPath(plan), swaps())).toList());
    String memory =
        members.stream()
            .map(PredictorPlan::acceleratorMemory)
            .filter(java.util.Objects::nonNull)
            .findFirst()
            .orElse(null);
    if (memory != null) {
      config.put("accelerators", PredictorPlan.accelerators(device.vendor(), 1, memory));
    }
    return config;
  }
}
