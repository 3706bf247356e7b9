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
 * count), {@code gpuLayers} (default 0).
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
    try {
      LlamaModel.setLogger(LogFormat.TEXT, (level, message) -> {}); // llama.cpp is chatty on stderr
      return new LlamaCppModel(source, new LlamaModel(parameters));
    } catch (RuntimeException e) {
      throw new ModelLoadException("llama.cpp cannot load " + source.location() + ": " + e.getMessage(), e);
    }
  }
}
