package io.sluice.operator.scale;

import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.operator.crd.InferenceService;
import io.sluice.operator.crd.PredictorSpec;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

/**
 * How an InferenceService's revisions scale across pods: KServe's {@code minReplicas}, {@code
 * maxReplicas} and {@code scaleTarget} (ongoing requests per pod, default {@code
 * containerConcurrency}, else 2; or with {@code scaleMetric: rps} requests per second per pod,
 * default 10), with Ray Serve's policy timing, set by annotations ({@code
 * serving.sluice.io/upscale-delay}, {@code downscale-delay}, {@code scale-to-zero-delay}, {@code
 * look-back-period}: durations such as {@code 30s} or {@code 2m}).
 */
public final class ScalingSettings {
  public static final String ANNOTATION_PREFIX = "serving.sluice.io/";

  /** Requests per second per pod with {@code scaleMetric: rps} and no {@code scaleTarget}. */
  static final double DEFAULT_TARGET_RPS = 10;

  static final Duration UPSCALE_DELAY = Duration.ofSeconds(5);
  static final Duration DOWNSCALE_DELAY = Duration.ofSeconds(60);
  static final Duration SCALE_TO_ZERO_DELAY = Duration.ofSeconds(60);
  static final Duration LOOK_BACK_PERIOD = Duration.ofSeconds(10);

  private ScalingSettings() {}

  /**
   * The policy settings; a malformed annotation falls back to its default (the reconciler reports
   * it).
   */
  public static AutoscalingSpec of(InferenceService isvc) {
    PredictorSpec predictor = isvc.getSpec().predictor;
    int min = predictor.minReplicas == null ? 1 : predictor.minReplicas;
    int max =
        predictor.maxReplicas == null || predictor.maxReplicas == 0
            ? Math.max(1, min)
            : predictor.maxReplicas;
    max = Math.max(max, Math.max(1, min));
    boolean perSecond = predictor.scaleMetric == PredictorSpec.ScaleMetric.rps;
    double target =
        predictor.scaleTarget != null
            ? predictor.scaleTarget
            : perSecond
                ? DEFAULT_TARGET_RPS
                : predictor.containerConcurrency != null && predictor.containerConcurrency > 0
                    ? predictor.containerConcurrency
                    : AutoscalingSpec.DEFAULT_TARGET_ONGOING_REQUESTS;
    Map<String, String> annotations =
        isvc.getMetadata().getAnnotations() == null
            ? Map.of()
            : isvc.getMetadata().getAnnotations();
    return new AutoscalingSpec(
        min,
        max,
        Math.max(min, 1),
        target,
        duration(annotations, "upscale-delay", UPSCALE_DELAY),
        duration(annotations, "downscale-delay", DOWNSCALE_DELAY),
        duration(annotations, "scale-to-zero-delay", SCALE_TO_ZERO_DELAY),
        duration(annotations, "look-back-period", LOOK_BACK_PERIOD),
        1.0,
        1.0);
  }

  /** Why an annotation cannot be read, or null when they all can. */
  public static String problem(Map<String, String> annotations) {
    if (annotations == null) {
      return null;
    }
    for (String name :
        new String[] {
          "upscale-delay", "downscale-delay", "scale-to-zero-delay", "look-back-period"
        }) {
      String value = annotations.get(ANNOTATION_PREFIX + name);
      if (value != null && parse(value) == null) {
        return "metadata.annotations."
            + ANNOTATION_PREFIX
            + name
            + " '"
            + value
            + "' is not a duration such as 30s or 2m";
      }
    }
    return null;
  }

  private static Duration duration(
      Map<String, String> annotations, String name, Duration fallback) {
    String value = annotations.get(ANNOTATION_PREFIX + name);
    Duration parsed = value == null ? null : parse(value);
    return parsed == null ? fallback : parsed;
  }

  /**
   * {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or ISO-8601 ({@code PT30S}); null when none
   * of these.
   */
  static Duration parse(String text) {
    String value = text.strip();
    try {
      if (value.startsWith("P") || value.startsWith("p")) {
        return Duration.parse(value);
      }
      if (value.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
      }
      long amount = Long.parseLong(value.substring(0, value.length() - 1));
      return switch (value.charAt(value.length() - 1)) {
        case 's' -> Duration.ofSeconds(amount);
        case 'm' -> Duration.ofMinutes(amount);
        case 'h' -> Duration.ofHours(amount);
        default -> null;
      };
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      return null;
    }
  }
}
