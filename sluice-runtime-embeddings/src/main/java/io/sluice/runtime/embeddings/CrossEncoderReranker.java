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
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A cross-encoder ({@link RerankerRuntime}, {@code mode: cross-encoder}) in the layout of Hugging Face's
 * sequence-classification exports: each (query, document) pair is tokenized as a pair ({@code [CLS] query
 * [SEP] document [SEP]}, token types 0 and 1), all pairs of a call padded to the longest and run as one ONNX
 * call; the first output ({@code logits}, {@code [n, 1]} or {@code [n]}) is the score, through a sigmoid with
 * {@code sigmoid: true}.
 */
final class CrossEncoderReranker implements LoadedModel {
  private final OrtEnvironment environment;
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean sigmoid;
  private final boolean takesTokenTypes;
  private final String logits;
  private final ModelMetadata metadata;

  CrossEncoderReranker(ModelSource source, OnnxTextModel text, boolean sigmoid) throws OrtException, ModelLoadException {
    this.environment = text.environment();
    this.session = text.session();
    this.tokenizer = text.tokenizer();
    this.sigmoid = sigmoid;
    Map<String, NodeInfo> inputs = session.getInputInfo();
    if (!inputs.containsKey("input_ids") || !inputs.containsKey("attention_mask")) {
      throw new ModelLoadException("a cross-encoder needs inputs input_ids and attention_mask; this one has " + inputs.keySet());
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
    List<byte[]> queries = RerankerRuntime.input(inputs, "query").bytesElements();
    List<byte[]> documents = RerankerRuntime.input(inputs, "document").bytesElements();
    if (queries.size() != documents.size() || queries.isEmpty()) {
      throw new InvalidInputException("query and document must pair up row by row; got " + queries.size() + " queries and "
          + documents.size() + " documents");
    }
    int count = queries.size();
    Encoding[] encodings = new Encoding[count];
    int longest = 1;
    for (int i = 0; i < count; i++) {
      encodings[i] = tokenizer.encode(new String(queries.get(i), StandardCharsets.UTF_8),
          new String(documents.get(i), StandardCharsets.UTF_8));
      longest = Math.max(longest, encodings[i].getIds().length);
    }
    LongBuffer ids = LongBuffer.allocate(count * longest);
    LongBuffer mask = LongBuffer.allocate(count * longest);
    LongBuffer types = LongBuffer.allocate(count * longest);
    for (Encoding encoding : encodings) {
      long[] tokenIds = encoding.getIds();
      long[] typeIds = encoding.getTypeIds();
      for (int t = 0; t < longest; t++) {
        boolean real = t < tokenIds.length;
        ids.put(real ? tokenIds[t] : 0);
        mask.put(real ? 1 : 0);
        types.put(real ? typeIds[t] : 0);
      }
    }
    long[] shape = {count, longest};
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      feeds.put("input_ids", OnnxTensor.createTensor(environment, ids.flip(), shape));
      feeds.put("attention_mask", OnnxTensor.createTensor(environment, mask.flip(), shape));
      if (takesTokenTypes) {
        feeds.put("token_type_ids", OnnxTensor.createTensor(environment, types.flip(), shape));
      }
      try (OrtSession.Result result = session.run(feeds, java.util.Set.of(logits))) {
        FloatBuffer values = ((OnnxTensor) result.get(logits).orElseThrow()).getFloatBuffer();
        if (values.remaining() != count) {
          throw new InferenceFailedException("the cross-encoder gave " + values.remaining() + " logits for " + count
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
