package io.sluice.runtime.llm;

import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.runtime.llm.bind.LlamaContext;
import io.sluice.runtime.llm.bind.LlamaModel;
import io.sluice.runtime.llm.schedule.Batch;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A GGUF embedding model (BGE, Qwen3-Embedding, ...): texts in, one pooled (CLS, mean or
 * last-token) and normalised vector each out, with the tensor contract {@code /v1/embeddings}
 * reads: {@code text} BYTES {@code [n]} in, {@code embedding} FP32 {@code [n, d]} and {@code
 * token_count} INT64 {@code [n]} out. The texts of a request decode together, as many sequences per
 * batch as fit.
 */
final class LlamaEmbeddingModel implements LoadedModel {
  private final LlamaModel model;
  private final LlamaContext context;
  private final boolean normalize;
  private final int dimensions;
  private final ModelMetadata metadata;
  private final Batch batch;

  LlamaEmbeddingModel(
      ModelSource source, LlamaModel model, LlamaContext context, boolean normalize) {
    this.model = model;
    this.context = context;
    this.normalize = normalize;
    this.dimensions = model.embeddingSize();
    this.batch = new Batch(context.batchTokens());
    this.metadata =
        new ModelMetadata(
            source.name(),
            List.of(source.version()),
            "llama_gguf_embeddings",
            List.of(new TensorMetadata("text", DataType.BYTES, new long[] {-1})),
            List.of(
                new TensorMetadata("embedding", DataType.FP32, new long[] {-1, dimensions}),
                new TensorMetadata("token_count", DataType.INT64, new long[] {-1})));
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public synchronized List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    List<byte[]> texts = inputs.getFirst().bytesElements();
    List<int[]> tokenized = new ArrayList<>(texts.size());
    for (byte[] text : texts) {
      int[] tokens = model.tokenize(new String(text, StandardCharsets.UTF_8), true, false);
      if (tokens.length == 0) {
        throw new InvalidInputException("an input text has no tokens");
      }
      if (tokens.length > context.batchTokens()) {
        throw new InvalidInputException(
            "an input text has "
                + tokens.length
                + " tokens; this model takes at most "
                + context.batchTokens()
                + " (setting batchSize)");
      }
      tokenized.add(tokens);
    }
    float[][] vectors = new float[texts.size()][];
    int next = 0;
    while (next < tokenized.size()) {
      batch.clear();
      int first = next;
      while (next < tokenized.size()
          && next - first < context.sequenceSlots()
          && batch.size() + tokenized.get(next).length <= batch.capacity()) {
        int[] tokens = tokenized.get(next);
        for (int position = 0; position < tokens.length; position++) {
          batch.add(tokens[position], position, next - first, true);
        }
        next++;
      }
      if (!context.decode(batch)) {
        throw new IllegalStateException(
            "the embedding context has no room for " + batch.size() + " tokens");
      }
      for (int i = first; i < next; i++) {
        vectors[i] = context.sequenceEmbedding(i - first);
        context.forget(i - first, 0);
      }
    }
    ByteBuffer embedding =
        ByteBuffer.allocate(4 * dimensions * texts.size()).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer counts = ByteBuffer.allocate(8 * texts.size()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < vectors.length; i++) {
      float[] vector = vectors[i];
      double norm = 0;
      for (float value : vector) {
        norm += value * value;
      }
      float scale = normalize && norm > 0 ? (float) (1 / Math.sqrt(norm)) : 1;
      for (float value : vector) {
        embedding.putFloat(value * scale);
      }
      counts.putLong(tokenized.get(i).length);
    }
    embedding.flip();
    counts.flip();
    List<Tensor> outputs = new ArrayList<>(outputNames.size());
    for (String name : outputNames) {
      outputs.add(
          name.equals("embedding")
              ? Tensor.of(
                  "embedding", DataType.FP32, new long[] {texts.size(), dimensions}, embedding)
              : Tensor.of("token_count", DataType.INT64, new long[] {texts.size()}, counts));
    }
    return outputs;
  }

  /** The weights plus the KV cache of the context's cells. */
  @Override
  public long memoryBytes() {
    return model.weightBytes() + model.kvCacheBytes(context.contextCells());
  }

  @Override
  public void close() {
    context.close();
    model.close();
  }
}
