package io.sluice.runtime.embeddings;

import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Relevance as the cosine of normalised embeddings ({@link RerankerRuntime}, {@code mode:
 * bi-encoder}). Each distinct text of a call is embedded once, all of them in one model call: a
 * query ranked against a hundred documents costs one batch of 101 texts.
 */
final class BiEncoderReranker implements LoadedModel {
  private final EmbeddingModel embeddings;
  private final ModelMetadata metadata;

  BiEncoderReranker(ModelSource source, EmbeddingModel embeddings) {
    this.embeddings = embeddings;
    this.metadata = RerankerRuntime.metadata(source, "reranker_bi_encoder");
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    RerankerRuntime.Pairs pairs = RerankerRuntime.pairs(inputs);
    List<byte[]> queries = pairs.queries();
    List<byte[]> documents = pairs.documents();
    Map<String, Integer> rows = new LinkedHashMap<>();
    List<byte[]> distinct = new ArrayList<>();
    int[] queryRow = new int[queries.size()];
    int[] documentRow = new int[documents.size()];
    for (int i = 0; i < queries.size(); i++) {
      queryRow[i] = row(queries.get(i), rows, distinct);
      documentRow[i] = row(documents.get(i), rows, distinct);
    }
    Tensor vectors =
        embeddings
            .infer(
                List.of(
                    Tensor.ofBytes(EmbeddingModel.INPUT, new long[] {distinct.size()}, distinct)),
                List.of(EmbeddingModel.EMBEDDING))
            .getFirst();
    int width = (int) vectors.shape()[1];
    FloatBuffer values = vectors.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    ByteBuffer scores = ByteBuffer.allocate(4 * queries.size()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < queries.size(); i++) {
      float dot = 0;
      for (int d = 0; d < width; d++) {
        dot += values.get(queryRow[i] * width + d) * values.get(documentRow[i] * width + d);
      }
      scores.putFloat(dot);
    }
    return List.of(Tensor.of("score", DataType.FP32, new long[] {queries.size()}, scores.flip()));
  }

  private static int row(byte[] text, Map<String, Integer> rows, List<byte[]> distinct) {
    return rows.computeIfAbsent(
        new String(text, StandardCharsets.UTF_8),
        key -> {
          distinct.add(text);
          return distinct.size() - 1;
        });
  }

  @Override
  public void close() {
    embeddings.close();
  }
}
