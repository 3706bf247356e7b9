package io.sluice.runtime.embeddings;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A text model in Hugging Face's ONNX export layout, opened: the {@code .onnx} file (or the one in
 * a folder), the {@code *tokenizer.json} beside it (or {@code settings.tokenizer}), truncating to
 * {@code maxLength}, and an ONNX Runtime session with {@code intraOpThreads} threads. Embedding
 * models and cross-encoders both start here.
 */
record OnnxTextModel(
    OrtEnvironment environment, OrtSession session, HuggingFaceTokenizer tokenizer) {
  static OnnxTextModel open(ModelSource source, int maxLength) throws ModelLoadException {
    Path model = modelFile(source.location());
    Path tokenizerFile = tokenizerFile(model, source.settings().get("tokenizer"));
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer =
          HuggingFaceTokenizer.newInstance(
              tokenizerFile,
              Map.of(
                  "truncation",
                  "true",
                  "maxLength",
                  Integer.toString(maxLength),
                  "padding",
                  "false"));
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(
          "cannot read tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(source.intSetting("intraOpThreads", 1, 0));
      return new OnnxTextModel(
          environment, environment.createSession(model.toString(), options), tokenizer);
    } catch (OrtException e) {
      tokenizer.close();
      throw new ModelLoadException("ONNX Runtime cannot load " + model + ": " + e.getMessage(), e);
    } catch (ModelLoadException | RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** Frees both, for a model that could not be built on top of them. */
  void close() {
    tokenizer.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing ONNX session failed: " + e.getMessage(), e);
    }
  }

  private static Path modelFile(Path location) throws ModelLoadException {
    if (Files.isRegularFile(location)) {
      return location;
    }
    if (Files.isDirectory(location)) {
      try (var files = Files.list(location)) {
        List<Path> graphs =
            files.filter(p -> p.getFileName().toString().endsWith(".onnx")).toList();
        if (graphs.size() == 1) {
          return graphs.get(0);
        }
        throw new ModelLoadException(
            location + " holds " + graphs.size() + " .onnx files; name one in storageUri");
      } catch (IOException e) {
        throw new ModelLoadException("cannot list " + location + ": " + e.getMessage(), e);
      }
    }
    throw new ModelLoadException("no such file: " + location);
  }

  private static Path tokenizerFile(Path model, String configured) throws ModelLoadException {
    Path directory = model.getParent();
    if (configured != null) {
      Path file = directory.resolve(configured);
      if (!Files.isRegularFile(file)) {
        throw new ModelLoadException("tokenizer " + file + " does not exist");
      }
      return file;
    }
    try (var files = Files.list(directory)) {
      List<Path> candidates =
          files.filter(p -> p.getFileName().toString().endsWith("tokenizer.json")).toList();
      if (candidates.size() == 1) {
        return candidates.get(0);
      }
      throw new ModelLoadException(
          "found "
              + candidates.size()
              + " *tokenizer.json files beside "
              + model
              + "; name one with settings.tokenizer");
    } catch (IOException e) {
      throw new ModelLoadException("cannot list " + directory + ": " + e.getMessage(), e);
    }
  }
}
