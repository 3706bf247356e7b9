package io.sluice.engine.transform;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A deployment's transformer: steps around its predictor, outermost first, and the folder whose
 * jars may hold custom steps.
 *
 * @param steps the steps; empty: no transformer
 * @param pluginDirectory where custom steps' jars are (null: the class path only)
 */
public record TransformerSpec(List<Step> steps, Path pluginDirectory) {
  public static final TransformerSpec NONE = new TransformerSpec(List.of(), null);

  public TransformerSpec {
    steps = steps == null ? List.of() : List.copyOf(steps);
  }

  public boolean isEmpty() {
    return steps.isEmpty();
  }

  /**
   * One step: the name of its {@link io.sluice.spi.transform.TransformerFactory} and its settings.
   */
  public record Step(String name, Map<String, String> settings) {
    public Step {
      settings = settings == null ? Map.of() : Map.copyOf(settings);
    }
  }
}
