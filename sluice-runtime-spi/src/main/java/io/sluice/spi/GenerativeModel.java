package io.sluice.spi;

import io.sluice.api.DataType;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.GeneratedText;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A model that generates text token by token (an LLM).
 *
 * <p>Contract: {@link #generate} blocks until the generation ends; it hands each piece of text
 * (with its tokens' log-probabilities when {@link io.sluice.api.GenerateOptions#topLogprobs()} asks
 * for them) to {@code onText} as soon as it exists, on the calling thread, in order; it polls
 * {@code cancelled} between tokens and stops early (returning what it has) once it says true.
 * Several generations may run at once (the runtime decides how many decode together). It throws
 * {@link io.sluice.api.InvalidInputException} for requests it cannot serve (a prompt longer than
 * its context) and {@link io.sluice.api.InferenceFailedException} for failures while running.
 */
public interface GenerativeModel extends LoadedModel {
  /** Tokens generated for a V2 {@code infer} that names no {@code max_tokens}. */
  int DEFAULT_INFER_TOKENS = 16;

  GenerateResult generate(
      GenerateRequest request, Consumer<GeneratedText> onText, BooleanSupplier cancelled);

  /**
   * The tensors a text-generation model offers V2 {@code infer}: {@code text_input} BYTES {@code
   * [1]} and optional {@code max_tokens} INT32 {@code [1]} in, {@code text_output} BYTES {@code
   * [1]} out.
   */
  static ModelMetadata textMetadata(ModelSource source, String platform) {
    return new ModelMetadata(
        source.name(),
        List.of(source.version()),
        platform,
        List.of(
            new TensorMetadata("text_input", DataType.BYTES, new long[] {1}),
            new TensorMetadata("max_tokens", DataType.INT32, new long[] {1}, true)),
        List.of(new TensorMetadata("text_output", DataType.BYTES, new long[] {1})));
  }

  /**
   * V2 {@code infer} on {@link #textMetadata} tensors, answered by generating from {@code
   * text_input}.
   */
  default List<Tensor> inferByGenerating(List<Tensor> inputs) {
    String prompt = null;
    int maxTokens = DEFAULT_INFER_TOKENS;
    for (Tensor input : inputs) {
      if (input.name().equals("text_input")) {
        prompt = new String(input.bytesElements().get(0), StandardCharsets.UTF_8);
      } else if (input.name().equals("max_tokens")) {
        maxTokens = input.data().getInt();
      }
    }
    StringBuilder text = new StringBuilder();
    generate(
        new GenerateRequest(
            metadata().name(), null, prompt, null, maxTokens, null, null, null, null),
        piece -> text.append(piece.text()),
        () -> false);
    return List.of(
        Tensor.ofBytes(
            "text_output",
            new long[] {1},
            List.of(text.toString().getBytes(StandardCharsets.UTF_8))));
  }
}
