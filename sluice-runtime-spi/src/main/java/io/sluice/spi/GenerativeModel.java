package io.sluice.spi;

import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A model that generates text token by token (an LLM).
 *
 * <p>Contract: {@link #generate} blocks until the generation ends; it hands each piece of text to
 * {@code onText} as soon as it exists, on the calling thread, in order; it polls {@code cancelled}
 * between tokens and stops early (returning what it has) once it says true. Several generations may
 * run at once (the runtime decides how many decode together). It throws
 * {@link io.sluice.api.InvalidInputException} for requests it cannot serve (a prompt longer than its
 * context) and {@link io.sluice.api.InferenceFailedException} for failures while running.
 */
public interface GenerativeModel extends LoadedModel {
  GenerateResult generate(GenerateRequest request, Consumer<String> onText, BooleanSupplier cancelled);
}
