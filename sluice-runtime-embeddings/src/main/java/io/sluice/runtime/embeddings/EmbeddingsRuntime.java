package io.sluice.runtime.embeddings;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Text embeddings (BGE, MiniLM, any BERT-style encoder exported to ONNX) with a Hugging Face tokenizer.
 * The model's tensor contract, which the OpenAI {@code /v1/embeddings} adapter relies on: input
 * {@code text} BYTES {@code [-1]} (UTF-8 strings), outputs {@code embedding} FP32 {@code [-1, D]} and
 * {@code token_count} INT64 {@code [-1]}.
 *
 * <p>Settings: {@code tokenizer} (file next to the model; default: the one {@code tokenizer.json} or
 * {@code *tokenizer.json} beside it), {@code pooling} ({@code cls}, default, or {@code mean}),
 * {@code normalize} ({@code true}, default), {@code maxLength} (512), {@code intraOpThreads} (1).
 */
public final class EmbeddingsRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "embeddings";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    Path model = modelFile(source.location());
    Path tokenizerFile = tokenizerFile(model, source.settings().get("tokenizer"));
    String pooling = source.settings().getOrDefault("pooling", "cls");
    if (!pooling.equals("cls") && !pooling.equals("mean")) {
      throw new ModelLoadException("pooling must be cls or mean, got '" + pooling + "'");
    }
    boolean normalize = Boolean.parseBoolean(source.settings().getOrDefault("normalize", "true"));
    int maxLength = source.intSetting("maxLength", 512, 1);
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile, Map.of(
          "truncation", "true", "maxLength", Integer.toString(maxLength), "padding", "false"));
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException("cannot read tokenizer " + tokenizerFile + ": " + e.getMessage(), e);
    }
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(source.intSetting("intraOpThreads", 1, 0));
      OrtSession session = environment.createSession(model.toString(), options);
      try {
        return new EmbeddingModel(source, environment, session, tokenizer, pooling, normalize, maxLength);
      } catch (ModelLoadException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException e) {
      tokenizer.close();
      throw new ModelLoadException("ONNX Runtime cannot load " + model + ": " + e.getMessage(), e);
    }
  }

  static Path modelFile(Path location) throws ModelLoadException {
    if (Files.isRegularFile(location)) {
      return location;
    }
    if (Files.isDirectory(location)) {
      try (var files = Files.list(location)) {
        List<Path> graphs = files.filter(p -> p.getFileName().toString().endsWith(".onnx")).toList();
        if (graphs.size() == 1) {
          return graphs.get(0);
        }
        throw new ModelLoadException(location + " holds " + graphs.size() + " .onnx files; name one in storageUri");
      } catch (IOException e) {
        throw new ModelLoadException("cannot list " + location + ": " + e.getMessage(), e);
      }
    }
    throw new ModelLoadException("no such file: " + location);
  }

  static Path tokenizerFile(Path model, String configured) throws ModelLoadException {
    Path directory = model.getParent();
    if (configured != null) {
      Path file = directory.resolve(configured);
      if (!Files.isRegularFile(file)) {
        throw new ModelLoadException("tokenizer " + file + " does not exist");
      }
      return file;
    }
    try (var files = Files.list(directory)) {
      List<Path> candidates = files.filter(p -> p.getFileName().toString().endsWith("tokenizer.json")).toList();
      if (candidates.size() == 1) {
        return candidates.get(0);
      }
      throw new ModelLoadException("found " + candidates.size() + " *tokenizer.json files beside " + model
          + "; name one with settings.tokenizer");
    } catch (IOException e) {
      throw new ModelLoadException("cannot list " + directory + ": " + e.getMessage(), e);
    }
  }

}
