package io.sluice.runtime.llm;

import io.sluice.runtime.llm.bind.LlamaContext;
import io.sluice.runtime.llm.bind.LlamaInstall;
import io.sluice.runtime.llm.bind.LlamaLibrary;
import io.sluice.runtime.llm.bind.LlamaModel;
import io.sluice.runtime.llm.chat.ChatTemplate;
import io.sluice.runtime.llm.schedule.Scheduler;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * GGUF language models on llama.cpp's prebuilt libraries (npm {@code @node-llama-cpp/*@3.22.1}, installed by
 * {@code bin/install-llama}) through Java's FFM, with Sluice's own continuous-batching scheduler. A native
 * abort takes its process with it: run it with {@code hosting: worker} (the default configuration does).
 *
 * <p>Settings: {@code parallel} (sequences decoding together; default 8), {@code ctxSize} (KV cells shared by
 * them; default 8192), {@code batchSize} (tokens per decoding step, prompt chunks included; default 512),
 * {@code threads} (default: CPU count), {@code gpuLayers} (layers offloaded; default 0, -1 for all),
 * {@code build} ({@code cpu}, {@code cuda} or {@code vulkan}: which installed build to load; default cpu),
 * {@code library} (a folder of libraries instead), {@code cpuVariant} (auto, or a ggml CPU variant such as
 * {@code icelake}).
 */
public final class LlamaRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "llama";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    if (!Files.isRegularFile(source.location())) {
      throw new ModelLoadException("no such GGUF file: " + source.location());
    }
    int parallel = source.intSetting("parallel", 8, 1);
    int contextCells = source.intSetting("ctxSize", 8192, 64);
    int batchTokens = Math.max(parallel, source.intSetting("batchSize", 512, 1));
    int threads = source.intSetting("threads", Runtime.getRuntime().availableProcessors(), 1);
    int gpuLayers = source.intSetting("gpuLayers", 0, -1);
    String build = source.settings().getOrDefault("build", "cpu");
    if (!build.equals("cpu") && !build.equals("cuda") && !build.equals("vulkan")) {
      throw new ModelLoadException("build must be cpu, cuda or vulkan, got '" + build + "'");
    }
    String library = source.settings().get("library");
    Path libraries = library != null ? Path.of(library) : LlamaInstall.libraries(build);
    LlamaLibrary native_;
    try {
      native_ = LlamaLibrary.open(libraries, source.settings().getOrDefault("cpuVariant", "auto"));
    } catch (IllegalStateException e) {
      throw new ModelLoadException(e.getMessage(), e);
    }
    LlamaModel model;
    try {
      model = LlamaModel.load(native_, source.location(), gpuLayers);
    } catch (RuntimeException e) {
      throw new ModelLoadException(e.getMessage(), e);
    }
    LlamaContext context;
    try {
      context = new LlamaContext(model, contextCells, parallel, batchTokens, threads);
    } catch (RuntimeException e) {
      model.close();
      throw new ModelLoadException(e.getMessage(), e);
    }
    ChatTemplate template = new ChatTemplate(model.chatTemplate(), model.tokenText(model.bos()), model.tokenText(model.eos()));
    Scheduler scheduler = new Scheduler(source.name(), context);
    return new LlamaGenerativeModel(source, model, context, scheduler, template);
  }
}
