package io.sluice.runtime.embeddings;

import ai.onnxruntime.OrtException;
import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Rerankers: a relevance score for each (query, document) pair. The tensor contract, which the
 * rerank and score APIs rely on: inputs {@code query} and {@code document} BYTES {@code [-1]} (row
 * i pairs query i with document i; rows batch along dimension 0), output {@code score} FP32 {@code
 * [-1]}.
 *
 * <p>{@code mode: cross-encoder} (default): an ONNX sequence-classification export ({@code
 * model.onnx} and a {@code tokenizer.json} beside it, as Hugging Face exports BGE-reranker or
 * ms-marco MiniLM), one logit per pair ({@link CrossEncoderReranker}); settings {@code sigmoid}
 * (false), {@code tokenizer}, {@code maxLength} (512, the pair's), {@code intraOpThreads} (1).
 *
 * <p>{@code mode: bi-encoder}: the model is a text-embedding model (as for {@code runtime:
 * embeddings}, with its settings); the score is the cosine of the query's and the document's
 * normalised embeddings. This is what the default {@code /reranker} runs on BGE-small, since no
 * cross-encoder weights can be downloaded where this project fetches models.
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
      return crossEncoder(source);
    }
    if (!mode.equals("bi-encoder")) {
      throw new ModelLoadException("mode must be bi-encoder or cross-encoder, got '" + mode + "'");
    }
    Map<String, String> settings = new HashMap<>(source.settings());
    settings.remove("mode");
    settings.put("normalize", "true");
    EmbeddingModel embeddings =
        (EmbeddingModel)
            new EmbeddingsRuntime()
                .load(
                    new ModelSource(source.name(), source.version(), source.location(), settings));
    return new BiEncoderReranker(source, embeddings);
  }

  private static LoadedModel crossEncoder(ModelSource source) throws ModelLoadException {
    String sigmoid = source.settings().getOrDefault("sigmoid", "false");
    if (!sigmoid.equals("true") && !sigmoid.equals("false")) {
      throw new ModelLoadException("sigmoid must be true or false, got '" + sigmoid + "'");
    }
    OnnxTextModel text = OnnxTextModel.open(source, source.intSetting("maxLength", 512, 2));
    try {
      return new CrossEncoderReranker(source, text, sigmoid.equals("true"));
    } catch (OrtException e) {
      text.close();
      throw new ModelLoadException("ONNX Runtime cannot describe the model: " + e.getMessage(), e);
    } catch (ModelLoadException | RuntimeException e) {
      text.close();
      throw e;
    }
  }

  /**
   * The reranker tensor contract: {@code query} and {@code document} BYTES {@code [-1]} in, {@code
   * score} FP32 out.
   */
  static ModelMetadata metadata(ModelSource source, String platform) {
    return new ModelMetadata(
        source.name(),
        List.of(source.version()),
        platform,
        List.of(
            new TensorMetadata("query", DataType.BYTES, new long[] {-1}),
            new TensorMetadata("document", DataType.BYTES, new long[] {-1})),
        List.of(new TensorMetadata("score", DataType.FP32, new long[] {-1})));
  }

  /** A call's (query, document) rows. */
  record Pairs(List<byte[]> queries, List<byte[]> documents) {}

  /** The {@code query} and {@code document} inputs, which must pair up row by row. */
  static Pairs pairs(List<Tensor> inputs) {
    List<byte[]> queries = input(inputs, "query").bytesElements();
    List<byte[]> documents = input(inputs, "document").bytesElements();
    if (queries.size() != documents.size() || queries.isEmpty()) {
      throw new InvalidInputException(
          "query and document must pair up row by row; got "
              + queries.size()
              + " queries and "
              + documents.size()
              + " documents");
    }
    return new Pairs(queries, documents);
  }

  /** A reranker's input by name: {@code query} or {@code document}. */
  private static Tensor input(List<Tensor> inputs, String name) {
    return inputs.stream()
        .filter(tensor -> tensor.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new InvalidInputException("a reranker needs the input '" + name + "'"));
  }
}
