package io.sluice.runtime.llama;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.nio.file.Files;

/**
 * GGUF language models through llama.cpp ({@code de.kherud:llama}, CPU build). llama.cpp aborts the
 * process on some bad inputs and can hang at exit: run it with {@code hosting: worker}.
 *
 * <p>Settings: {@code parallel} (sequences decoded together, continuous batching; default 4),
 * {@code ctxSize} (total context shared by the sequences; default 4096), {@code threads} (default: CPU
 * count), {@code gpuLayers} (default 0), {@code jinja} (default true: chat prompts are rendered from the GGUF's
 * {@code tokenizer.chat_template} by llama.cpp's Jinja engine).
 */
public final class LlamaCppRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "llama-cpp";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    if (!Files.isRegularFile(source.location())) {
      throw new ModelLoadException("no such GGUF file: " + source.location());
    }
    int parallel = source.intSetting("parallel", 4, 1);
    ModelParameters parameters = new ModelParameters()
        .setModel(source.location().toString())
        .setParallel(parallel)
        .setCtxSize(source.intSetting("ctxSize", 4096, 64))
        .setThreads(source.intSetting("threads", Runtime.getRuntime().availableProcessors(), 1))
        .setGpuLayers(source.intSetting("gpuLayers", 0, 0));
    String jinja = source.settings().getOrDefault("jinja", "true");
    if (!jinja.equals("true") && !jinja.equals("false")) {
      throw new ModelLoadException("jinja must be true or false, got '" + jinja + "'");
    }
    if (jinja.equals("true")) {
      // Render the GGUF's own chat template (as vLLM renders the model's Jinja template); without it llama.cpp
      // knows only a list of common templates and falls back to ChatML for the rest.
      parameters.enableJinja();
    }
    try {
      LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> {}); // llama.cpp is chatty on stderr
      return new LlamaCppModel(source, new LlamaModel(parameters));
    } catch (RuntimeException e) {
      throw new ModelLoadException("llama.cpp cannot load " + source.location() + ": " + e.getMessage(), e);
    }
  }
}
