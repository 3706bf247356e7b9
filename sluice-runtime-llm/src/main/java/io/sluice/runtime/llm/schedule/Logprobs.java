package io.sluice.runtime.llm.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities from a row of logits (log-softmax), as OpenAI's {@code logprobs} reports them.
 */
final class Logprobs {
  private Logprobs() {}

  static TokenLogprob of(Decoder decoder, int row, int chosen, int top) {
    float[] logits = decoder.logits(row);
    float max = Float.NEGATIVE_INFINITY;
    for (float logit : logits) {
      max = Math.max(max, logit);
    }
    double sum = 0;
    for (float logit : logits) {
      sum += Math.exp(logit - max);
    }
    float logSum = (float) (max + Math.log(sum));
    List<TokenLogprob.Alternative> alternatives = new ArrayList<>(top);
    if (top > 0) {
      int[] best = topIndices(logits, top);
      for (int token : best) {
        alternatives.add(
            new TokenLogprob.Alternative(token, decoder.piece(token), logits[token] - logSum));
      }
    }
    return new TokenLogprob(
        chosen, decoder.piece(chosen), logits[chosen] - logSum, List.copyOf(alternatives));
  }

  /** The indices of the k largest values, largest first. */
  static int[] topIndices(float[] values, int k) {
    k = Math.min(k, values.length);
    int[] best = new int[k];
    int size = 0;
    for (int i = 0; i < values.length; i++) {
      if (size < k) {
        best[size++] = i;
      } else if (values[i] > values[best[size - 1]]) {
        best[size - 1] = i;
      } else {
        continue;
      }
      for (int j = size - 1; j > 0 && values[best[j]] > values[best[j - 1]]; j--) {
        int swap = best[j];
        best[j] = best[j - 1];
        best[j - 1] = swap;
      }
    }
    return best;
  }
}
