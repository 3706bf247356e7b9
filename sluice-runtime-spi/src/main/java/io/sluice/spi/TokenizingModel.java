package io.sluice.spi;

import io.sluice.api.GenerateRequest;
import io.sluice.api.Tokenization;

/**
 * A model whose tokenizer clients may use directly: vLLM's {@code /tokenize} and {@code
 * /detokenize}. Both may be called from several threads at once and return quickly (no model run).
 */
public interface TokenizingModel extends LoadedModel {
  /**
   * The tokens of {@code request}'s prompt, or of its messages rendered by the model's chat
   * template (with the assistant's turn opened), exactly as {@link GenerativeModel#generate} would
   * feed them to the model.
   *
   * @param addSpecial whether to add the special tokens the model adds to prompts (BOS)
   */
  Tokenization tokenize(GenerateRequest request, boolean addSpecial);

  /**
   * The text of {@code tokens}; throws {@link io.sluice.api.InvalidInputException} for ids outside
   * the vocabulary.
   */
  String detokenize(int[] tokens);
}
