package io.sluice.runtime.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * A cross-encoder ({@link RerankerRuntime}, {@code mode: cross-encoder}) in the layout of Hugging
 * Face's sequence-classification exports: each (query, document) pair is tokenized as a pair
 * ({@code [CLS] query [SEP] document [SEP]}, token types 0 and 1), all pairs of a call padded to
 * the longest and run as one ONNX call; the first output ({@code logits}, {@code [n, 1]} or {@code
 * [n]}) is the score, through a sigmoid with {@code sigmoid: true}.
 */
final class CrossEncoderReranker implements LoadedModel {
  private final OrtEnvironment environment;
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean sigmoid;
  private final boolean takesTokenTypes;
  private final String logits;
  private final ModelMetadata metadata;

  CrossEncoderReranker(ModelSource source, OnnxTextModel text, boolean sigmoid)
      throws OrtException, ModelLoadException {
    this.environment = text.environment();
    this.session = text.session();
    this.tokenizer = text.tokenizer();
    this.sigmoid = sigmoid;
    Map<String, NodeInfo> inputs = session.getInputInfo();
    if (!inputs.containsKey("input_ids") || !inputs.containsKey("attention_mask")) {
      throw new ModelLoadException(
          "a cross-encoder needs inputs input_ids and attention_mask; this one has "
              + inputs.keySet());
    }
    this.takesTokenTypes = inputs.containsKey("token_type_ids");
    this.logits = session.getOutputNames().iterator().next();
    this.metadata = RerankerRuntime.metadata(source, "reranker_cross_encoder");
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    RerankerRuntime.Pairs pairs = RerankerRuntime.pairs(inputs);
    int count = pairs.queries().size();
    long[][] ids = new long[count][];
    long[][] types = new long[count][];
    for (int i = 0; i < count; i++) {
      Encoding encoding =
          tokenizer.encode(
              new String(pairs.queries().get(i), StandardCharsets.UTF_8),
              new String(pairs.documents().get(i), StandardCharsets.UTF_8));
      ids[i] = encoding.getIds();
      types[i] = encoding.getTypeIds();
    }
    Map<String, OnnxTensor> feeds = Map.of();
    try {
      feeds = TokenFeeds.of(environment, ids, types, takesTokenTypes);
      try (OrtSession.Result result = session.run(feeds, java.util.Set.of(logits))) {
        FloatBuffer values = ((OnnxTensor) result.get(logits).orElseThrow()).getFloatBuffer();
        if (values.remaining() != count) {
          throw new InferenceFailedException(
              "the cross-encoder gave "
                  + values.remaining()
                  + " logits for "
                  + count
                  + " pairs; it must give one per pair");
        }
        ByteBuffer scores = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
          float logit = values.get(i);
          scores.putFloat(sigmoid ? (float) (1 / (1 + Math.exp(-logit))) : logit);
        }
        return List.of(Tensor.of("score", DataType.FP32, new long[] {count}, scores.flip()));
      }
    } catch (OrtException e) {
      throw new InferenceFailedException("ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() {
    tokenizer.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing ONNX session failed: " + e.getMessage(), e);
    }
  }
}
