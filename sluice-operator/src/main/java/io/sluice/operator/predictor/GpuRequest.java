package io.sluice.operator.predictor;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.List;
import java.util.Map;

/**
 * The accelerator a predictor asks for in {@code resources.limits}: the device plugin's resource
 * name, the vendor Sluice's placement knows it by, and the amount: a whole number of devices, or a
 * fraction of one (served from an accelerator pool, since Kubernetes hands out whole devices only).
 */
public record GpuRequest(String resource, String vendor, double amount) {
  /** Device plugin resource names → Sluice's accelerator vendors. */
  public static final Map<String, String> VENDORS =
      Map.of("nvidia.com/gpu", "nvidia", "amd.com/gpu", "amd", "gpu.intel.com/i915", "intel");

  public boolean fractional() {
    return amount < 1;
  }

  /** Whole devices the pod holding it needs. */
  public int devices() {
    return (int) Math.ceil(amount);
  }

  /**
   * The request in {@code resources}, or null when it asks for no accelerator.
   *
   * @param problems where an unusable request is explained, naming the field
   */
  public static GpuRequest of(ResourceRequirements resources, List<String> problems) {
    if (resources == null) {
      return null;
    }
    GpuRequest found = null;
    for (Map<String, Quantity> amounts :
        new Map[] {resources.getLimits(), resources.getRequests()}) {
      if (amounts == null) {
        continue;
      }
      for (Map.Entry<String, Quantity> entry : amounts.entrySet()) {
        String vendor = VENDORS.get(entry.getKey());
        if (vendor == null) {
          continue;
        }
        double amount = entry.getValue().getNumericalAmount().doubleValue();
        if (amount <= 0 || (amount > 1 && amount != Math.rint(amount))) {
          problems.add(
              "spec.predictor.model.resources: "
                  + entry.getKey()
                  + " "
                  + entry.getValue()
                  + " must be a fraction of one device (0 < n < 1) or a whole number of devices");
          return null;
        }
        if (found != null
            && (!found.resource().equals(entry.getKey()) || found.amount() != amount)) {
          problems.add(
              "spec.predictor.model.resources: ask for one kind and amount of accelerator (limits and requests"
                  + " equal), not "
                  + found.resource()
                  + " "
                  + found.amount()
                  + " and "
                  + entry.getKey()
                  + " "
                  + amount);
          return null;
        }
        found = new GpuRequest(entry.getKey(), vendor, amount);
      }
    }
    return found;
  }
}
