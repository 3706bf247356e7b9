package io.sluice.runtime.embeddings;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Tokenized texts as the inputs of a Hugging Face ONNX export: {@code input_ids}, {@code
 * attention_mask} and, when the model takes them, {@code token_type_ids}, every row padded with
 * zeros to the longest.
 */
final class TokenFeeds {
  private TokenFeeds() {}

  /**
   * The feeds of rows {@code ids} (with their {@code types}, which may be shorter); the caller
   * closes them.
   */
  static Map<String, OnnxTensor> of(
      OrtEnvironment environment, long[][] ids, long[][] types, boolean withTypes)
      throws OrtException {
    int count = ids.length;
    int longest = longest(ids);
    LongBuffer idBuffer = LongBuffer.allocate(count * longest);
    LongBuffer maskBuffer = LongBuffer.allocate(count * longest);
    LongBuffer typeBuffer = LongBuffer.allocate(count * longest);
    for (int i = 0; i < count; i++) {
      for (int t = 0; t < longest; t++) {
        boolean real = t < ids[i].length;
        idBuffer.put(real ? ids[i][t] : 0);
        maskBuffer.put(real ? 1 : 0);
        typeBuffer.put(real && t < types[i].length ? types[i][t] : 0);
      }
    }
    long[] shape = {count, longest};
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      feeds.put("input_ids", OnnxTensor.createTensor(environment, idBuffer.flip(), shape));
      feeds.put("attention_mask", OnnxTensor.createTensor(environment, maskBuffer.flip(), shape));
      if (withTypes) {
        feeds.put("token_type_ids", OnnxTensor.createTensor(environment, typeBuffer.flip(), shape));
      }
      return feeds;
    } catch (OrtException | RuntimeException e) {
      feeds.values().forEach(OnnxTensor::close);
      throw e;
    }
  }

  /** The padded length: the longest row, at least 1. */
  static int longest(long[][] ids) {
    int longest = 1;
    for (long[] row : ids) {
      longest = Math.max(longest, row.length);
    }
    return longest;
  }
}
