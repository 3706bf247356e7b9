package io.sluice.runtime.embeddings;

import ai.onnxruntime.OrtException;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;

/**
 * Text embeddings (BGE, MiniLM, any BERT-style encoder exported to ONNX) with a Hugging Face
 * tokenizer. The model's tensor contract, which the OpenAI {@code /v1/embeddings} adapter relies
 * on: input {@code text} BYTES {@code [-1]} (UTF-8 strings), outputs {@code embedding} FP32 {@code
 * [-1, D]} and {@code token_count} INT64 {@code [-1]}.
 *
 * <p>Settings: {@code tokenizer} (file next to the model; default: the one {@code tokenizer.json}
 * or {@code *tokenizer.json} beside it), {@code pooling} ({@code cls}, default, or {@code mean}),
 * {@code normalize} ({@code true}, default), {@code maxLength} (512), {@code intraOpThreads} (1).
 */
public final class EmbeddingsRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "embeddings";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    String pooling = source.settings().getOrDefault("pooling", "cls");
    if (!pooling.equals("cls") && !pooling.equals("mean")) {
      throw new ModelLoadException("pooling must be cls or mean, got '" + pooling + "'");
    }
    boolean normalize = Boolean.parseBoolean(source.settings().getOrDefault("normalize", "true"));
    int maxLength = source.intSetting("maxLength", 512, 1);
    OnnxTextModel text = OnnxTextModel.open(source, maxLength);
    try {
      return new EmbeddingModel(source, text, pooling, normalize, maxLength);
    } catch (OrtException e) {
      text.close();
      throw new ModelLoadException("ONNX Runtime cannot describe the model: " + e.getMessage(), e);
    } catch (ModelLoadException | RuntimeException e) {
      text.close();
      throw e;
    }
  }
}
