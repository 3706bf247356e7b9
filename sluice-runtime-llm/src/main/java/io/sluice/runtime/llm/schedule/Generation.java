package io.sluice.runtime.llm.schedule;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One generation's state inside the scheduler: its tokens, where they stand in the KV cache, its
 * text.
 */
final class Generation {
  final GenerationRequest request;
  final GenerationListener listener;
  final long submittedNanos;
  final long order;
  final TextAssembler text;
  volatile boolean cancelled;

  /** Prompt then generated tokens; the first {@link #decoded} are in the sequence's KV cells. */
  private int[] tokens;

  private int length;
  int decoded;
  int slot = -1;
  int outputRow = -1;
  int cachedPromptTokens;
  int preemptions;
  long firstDecodeNanos = -1;
  long firstTokenNanos = -1;
  Decoder.TokenSampler sampler;
  final List<TokenLogprob> logprobs = new ArrayList<>();

  Generation(
      GenerationRequest request, GenerationListener listener, long submittedNanos, long order) {
    this.request = request;
    this.listener = listener;
    this.submittedNanos = submittedNanos;
    this.order = order;
    this.text = new TextAssembler(request.stop());
    this.tokens =
        Arrays.copyOf(
            request.prompt(), request.prompt().length + Math.min(request.maxTokens(), 1024));
    this.length = request.prompt().length;
  }

  int length() {
    return length;
  }

  int token(int index) {
    return tokens[index];
  }

  int[] tokens() {
    return Arrays.copyOf(tokens, length);
  }

  /**
   * Tokens waiting to go through the model: the prompt (or its uncached rest), or the last sampled
   * token.
   */
  int pending() {
    return length - decoded;
  }

  int generated() {
    return length - request.prompt().length;
  }

  boolean prefilling() {
    return decoded < request.prompt().length;
  }

  void append(int token) {
    if (length == tokens.length) {
      tokens = Arrays.copyOf(tokens, tokens.length * 2);
    }
    tokens[length++] = token;
  }
}
