package io.sluice.runtime.embeddings;

import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.util.HashMap;
import java.util.Map;

/**
 * Rerankers: a relevance score for each (query, document) pair. The tensor contract, which the rerank and
 * score APIs rely on: inputs {@code query} and {@code document} BYTES {@code [-1]} (row i pairs query i
 * with document i; rows batch along dimension 0), output {@code score} FP32 {@code [-1]}.
 *
 * <p>{@code mode: bi-encoder}: the model is a text-embedding model (as for {@code runtime: embeddings}, with
 * its settings); the score is the cosine of the query's and the document's normalised embeddings. This is
 * what the default {@code /reranker} runs on BGE-small, since no cross-encoder weights can be downloaded
 * where this project fetches models. Cross-encoder models ({@code mode: cross-encoder}, one logit per pair)
 * are not served yet: loading one fails with that reason.
 */
public final class RerankerRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "reranker";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    String mode = source.settings().getOrDefault("mode", "cross-encoder");
    if (mode.equals("cross-encoder")) {
      throw new ModelLoadException("cross-encoder rerankers are not served yet; set mode: bi-encoder to rank with "
          + "an embedding model");
    }
    if (!mode.equals("bi-encoder")) {
      throw new ModelLoadException("mode must be bi-encoder or cross-encoder, got '" + mode + "'");
    }
    Map<String, String> settings = new HashMap<>(source.settings());
    settings.remove("mode");
    settings.put("normalize", "true");
    EmbeddingModel embeddings = (EmbeddingModel) new EmbeddingsRuntime().load(
        new ModelSource(source.name(), source.version(), source.location(), settings));
    return new BiEncoderReranker(source, embeddings);
  }
}
