package io.sluice.spi.transform;

import io.sluice.api.ModelMetadata;
import io.sluice.spi.ModelLoadException;

/**
 * Makes one kind of {@link Transformer}. Implementations are found with {@link
 * java.util.ServiceLoader} (a {@code META-INF/services/io.sluice.spi.transform.TransformerFactory}
 * entry), on the class path or in a jar of the plugin folder, and are addressed in configuration by
 * {@link #name()}: {@code transformer: {steps: [{step: image, settings: {...}}]}}.
 *
 * <p>{@link #create} runs once per replica, off the event loops; it throws {@link
 * ModelLoadException} with a message a user can act on (a missing labels file, a setting out of
 * range).
 */
public interface TransformerFactory {
  /** The name used in configuration, e.g. {@code image}. */
  String name();

  /**
   * @param source the model's location and this step's settings
   * @param wrapped the metadata of what the step wraps: the predictor, or the next step
   */
  Transformer create(StepSource source, ModelMetadata wrapped) throws ModelLoadException;
}
