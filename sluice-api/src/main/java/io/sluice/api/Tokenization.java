package io.sluice.api;

/**
 * A text's tokens under a model's tokenizer (vLLM's {@code /tokenize}).
 *
 * @param tokens the token ids
 * @param maxModelLength the most tokens the model takes, prompt and generated together
 */
public record Tokenization(int[] tokens, int maxModelLength) {}
