package io.sluice.api.kserve;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * KServe's model format names ({@code spec.predictor.model.modelFormat.name}) → the Sluice runtime
 * that serves them, and whether it runs in a worker process: one table for the Kubernetes operator
 * and for {@code sluice serve -f isvc.yaml}.
 */
public final class ModelFormats {
  /** A Sluice runtime and its hosting. */
  public record Runtime(String name, boolean worker) {}

  private static final Map<String, Runtime> BY_FORMAT =
      new TreeMap<>(
          Map.of(
              "onnx", new Runtime("onnx", false),
              "gguf", new Runtime("llama", true),
              "llama", new Runtime("llama", true),
              "embeddings", new Runtime("embeddings", false),
              "sentence-transformers", new Runtime("embeddings", false),
              "reranker", new Runtime("reranker", false),
              "vosk", new Runtime("vosk", true),
              "whisper", new Runtime("whisper-cpp", true),
              "marytts", new Runtime("marytts", false),
              "espeak", new Runtime("espeak", false)));

  private ModelFormats() {}

  public static Optional<Runtime> runtime(String format) {
    return format == null
        ? Optional.empty()
        : Optional.ofNullable(BY_FORMAT.get(format.toLowerCase(Locale.ROOT)));
  }

  public static java.util.Set<String> names() {
    return BY_FORMAT.keySet();
  }
}
