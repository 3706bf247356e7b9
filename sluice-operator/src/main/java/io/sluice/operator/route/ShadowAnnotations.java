package io.sluice.operator.route;

import java.util.Map;

/**
 * The routers' shadow annotations, checked where the service is reconciled so that a bad value
 * turns only its own service not-ready (the routers leave such a route out as well): {@code
 * serving.sluice.io/shadow-percent} (0-100) and {@code serving.sluice.io/shadow-target} (another
 * InferenceService of the namespace).
 */
public final class ShadowAnnotations {
  public static final String PERCENT = "serving.sluice.io/shadow-percent";
  public static final String TARGET = "serving.sluice.io/shadow-target";

  private ShadowAnnotations() {}

  /** Why the annotations cannot be routed, or null. */
  public static String problem(Map<String, String> annotations) {
    if (annotations == null) {
      return null;
    }
    String percent = annotations.get(PERCENT);
    String target = annotations.get(TARGET);
    if (percent == null) {
      return target == null ? null : "metadata.annotations." + TARGET + " needs " + PERCENT;
    }
    double share;
    try {
      share = Double.parseDouble(percent);
    } catch (NumberFormatException e) {
      share = -1;
    }
    if (!percent.matches("[0-9]+(\\.[0-9]+)?") || share > 100) {
      return "metadata.annotations." + PERCENT + " '" + percent + "' is not a percentage (0-100)";
    }
    if (target != null && !target.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
      return "metadata.annotations." + TARGET + " '" + target + "' is not an InferenceService name";
    }
    return null;
  }
}
