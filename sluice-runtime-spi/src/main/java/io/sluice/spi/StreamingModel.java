package io.sluice.spi;

import io.sluice.api.Tensor;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A model whose outputs can be handed over in pieces while it runs: speech synthesis that speaks
 * sentence by sentence, so a client can play the first sentence while the rest is synthesised.
 *
 * <p>Contract: {@link #inferStream} takes what {@link #infer} takes and blocks until the model is
 * done. It hands each chunk to {@code onChunk} as soon as it exists, on the calling thread, in
 * order: one tensor per name in {@code outputNames}, in that order, each self-contained (for audio,
 * a WAV file of that piece). Together the chunks carry what {@link #infer} would return. It polls
 * {@code cancelled} between chunks and stops early once it says true. Errors are those of {@link
 * #infer}; a model may fail after some chunks.
 */
public interface StreamingModel extends LoadedModel {
  void inferStream(
      List<Tensor> inputs,
      List<String> outputNames,
      Consumer<List<Tensor>> onChunk,
      BooleanSupplier cancelled);
}
