package io.sluice.engine.explain;

import io.sluice.api.InvalidInputException;
import java.util.Map;

/**
 * How to explain one prediction.
 *
 * @param method {@code kernel_shap} (tabular: each input element a feature; Shapley values
 *     estimated by a weighted linear fit over feature coalitions) or {@code occlusion} (each group
 *     of {@code window} consecutive elements replaced by the baseline; attribution = prediction
 *     drop)
 * @param input the input tensor to attribute over (null: the first)
 * @param output the output tensor whose element is explained (null: the first)
 * @param target the element of that output, per instance (flattened index)
 * @param baseline the value a removed feature takes
 * @param samples coalitions KernelSHAP evaluates at most (all of them when there are fewer)
 * @param window elements occluded together
 * @param batchSize perturbed inputs sent in one model call
 * @param maxModelCalls model calls one explanation may make
 */
public record ExplainSpec(
    String method,
    String input,
    String output,
    int target,
    double baseline,
    int samples,
    int window,
    int batchSize,
    int maxModelCalls) {
  public static final int DEFAULT_MAX_MODEL_CALLS = 64;

  /** What a deployment without an {@code explainer} block uses. */
  public static final ExplainSpec DEFAULT =
      new ExplainSpec("kernel_shap", null, null, 0, 0, 256, 1, 64, DEFAULT_MAX_MODEL_CALLS);

  public ExplainSpec {
    if (!method.equals("kernel_shap") && !method.equals("occlusion")) {
      throw new InvalidInputException(
          "the explainer method must be kernel_shap or occlusion, got '" + method + "'");
    }
    if (target < 0 || samples < 1 || window < 1 || batchSize < 1 || maxModelCalls < 1) {
      throw new InvalidInputException(
          "explainer target must be >= 0, and samples, window, batchSize and maxModelCalls >= 1");
    }
  }

  /**
   * These defaults overridden by request parameters ({@code method}, {@code input}, {@code output},
   * {@code target}, {@code baseline}, {@code samples}, {@code window}, {@code batch_size}); {@code
   * max_model_calls} may only lower this spec's bound.
   */
  public ExplainSpec with(Map<String, Object> parameters) {
    Object input = parameters.get("input");
    Object output = parameters.get("output");
    return new ExplainSpec(
        String.valueOf(parameters.getOrDefault("method", method)),
        input != null ? String.valueOf(input) : this.input,
        output != null ? String.valueOf(output) : this.output,
        integer(parameters, "target", target),
        number(parameters, "baseline", baseline),
        integer(parameters, "samples", samples),
        integer(parameters, "window", window),
        integer(parameters, "batch_size", batchSize),
        Math.min(maxModelCalls, integer(parameters, "max_model_calls", maxModelCalls)));
  }

  private static int integer(Map<String, Object> parameters, String key, int fallback) {
    Object value = parameters.get(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())) {
      return number.intValue();
    }
    throw new InvalidInputException("explainer parameter " + key + " must be an integer");
  }

  private static double number(Map<String, Object> parameters, String key, double fallback) {
    Object value = parameters.get(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Number number) {
      return number.doubleValue();
    }
    throw new InvalidInputException("explainer parameter " + key + " must be a number");
  }
}
