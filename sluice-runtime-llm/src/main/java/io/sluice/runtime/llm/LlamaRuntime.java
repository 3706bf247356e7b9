package io.sluice.runtime.llm;

import io.sluice.runtime.llm.bind.LlamaContext;
import io.sluice.runtime.llm.bind.LlamaInstall;
import io.sluice.runtime.llm.bind.LlamaLibrary;
import io.sluice.runtime.llm.bind.LlamaModel;
import io.sluice.runtime.llm.bind.NativeEnvironment;
import io.sluice.runtime.llm.chat.ChatTemplate;
import io.sluice.runtime.llm.chat.ReasoningFormat;
import io.sluice.runtime.llm.chat.ToolCallFormat;
import io.sluice.runtime.llm.schedule.Scheduler;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * GGUF language models on llama.cpp's prebuilt libraries (npm {@code @node-llama-cpp/*@3.22.1},
 * installed by {@code bin/install-llama}) through Java's FFM, with Sluice's own continuous-batching
 * scheduler. A native abort takes its process with it: run it with {@code hosting: worker} (the
 * default configuration does).
 *
 * <p>Settings: {@code parallel} (sequences decoding together; default 8), {@code ctxSize} (KV cells
 * shared by them; default 8192), {@code batchSize} (tokens per decoding step, prompt chunks
 * included; default 512), {@code threads} (default: CPU count), {@code gpuLayers} (layers
 * offloaded, -1 for all; default from the placement, {@link GpuOffload}), {@code build} ({@code
 * cpu}, {@code cuda} or {@code vulkan}: which installed build to load; default from the placement's
 * vendor), {@code library} (a folder of libraries instead), {@code cpuVariant} (auto, or a ggml CPU
 * variant such as {@code icelake}).
 *
 * <p>With {@code embedding: "true"} the model embeds instead ({@link LlamaEmbeddingModel}): {@code
 * pooling} ({@code cls}, {@code mean} or {@code last}; default the GGUF's own, else mean), {@code
 * normalize} (default true); {@code batchSize} (default 2048) is then the longest text.
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
    String build = GpuOffload.build(source.settings(), installedBuilds());
    String library = source.settings().get("library");
    Path libraries = library != null ? Path.of(library) : LlamaInstall.libraries(build);
    LlamaLibrary native_;
    LlamaModel model;
    int gpuLayers;
    try {
      NativeEnvironment.setIfAbsent(GpuOffload.environment(build, source.settings()));
      native_ = LlamaLibrary.open(libraries, source.settings().getOrDefault("cpuVariant", "auto"));
      gpuLayers =
          GpuOffload.gpuLayers(
              build,
              source.settings(),
              Files.size(source.location()),
              build.equals("cpu") ? 0 : LlamaModel.layers(native_, source.location()));
      model = LlamaModel.load(native_, source.location(), gpuLayers);
    } catch (IllegalStateException | IllegalArgumentException | java.io.IOException e) {
      throw new ModelLoadException(e.getMessage(), e);
    }
    if (source.settings().getOrDefault("embedding", "false").equals("true")) {
      return embeddingModel(source, model, parallel, threads);
    }
    LlamaContext context;
    try {
      context =
          new LlamaContext(
              model,
              contextCells,
              parallel,
              batchTokens,
              threads,
              !source.settings().getOrDefault("kvUnified", "true").equals("false"));
    } catch (RuntimeException e) {
      model.close();
      throw new ModelLoadException(e.getMessage(), e);
    }
    ChatTemplate template;
    ReasoningFormat reasoning;
    try {
      String text = chatTemplate(source, model);
      template =
          new ChatTemplate(
              text,
              model.tokenText(model.bos()),
              model.tokenText(model.eos()),
              ToolCallFormat.of(
                  source.settings().get("toolCallFormat"),
                  text == null || text.isBlank() ? ChatTemplate.CHATML : text));
      reasoning = ReasoningFormat.of(source.settings().get("reasoningFormat"), template.template());
      model.showAsText(markers(template.toolCallFormat(), reasoning));
    } catch (IllegalArgumentException | java.io.IOException e) {
      context.close();
      model.close();
      throw new ModelLoadException(e.getMessage(), e);
    }
    List<String> adapterNames = new java.util.ArrayList<>();
    List<java.lang.foreign.MemorySegment> adapters = new java.util.ArrayList<>();
    try {
      for (var adapter : source.adapters().entrySet()) {
        adapterNames.add(adapter.getKey());
        adapters.add(model.loadAdapter(adapter.getValue()));
      }
    } catch (IllegalArgumentException e) {
      context.close();
      model.close();
      throw new ModelLoadException(e.getMessage(), e);
    }
    context.adapters(adapters);
    long savedPrefixBytes = source.intSetting("promptCacheMiB", 1024, 0) * 1024L * 1024L;
    Scheduler scheduler = new Scheduler(source.name(), context, savedPrefixBytes);
    return new LlamaGenerativeModel(
        source, model, context, scheduler, template, reasoning, adapterNames);
  }

  /**
   * The deployment's {@code chatTemplate} (Jinja text) or {@code chatTemplateFile}, else the GGUF's
   * own (llama-server's {@code --chat-template}, vLLM's {@code --chat-template}).
   */
  private static String chatTemplate(ModelSource source, LlamaModel model)
      throws java.io.IOException {
    String inline = source.settings().get("chatTemplate");
    if (inline != null) {
      return inline;
    }
    String file = source.settings().get("chatTemplateFile");
    if (file != null) {
      Path path = Path.of(file);
      return Files.readString(path.isAbsolute() ? path : source.location().resolveSibling(path));
    }
    return model.chatTemplate();
  }

  /**
   * The texts a family marks calls and thinking with: they may be special tokens, which are
   * otherwise decoded as nothing, and the text is where the calls and thinking are read from.
   */
  private static List<String> markers(ToolCallFormat calls, ReasoningFormat reasoning) {
    List<String> markers = new java.util.ArrayList<>(calls.markers());
    if (reasoning.separates()) {
      markers.add(reasoning.open());
      markers.add(reasoning.close());
    }
    return markers;
  }

  private static Set<String> installedBuilds() {
    Set<String> builds = new HashSet<>();
    for (String build : List.of("cpu", "cuda", "vulkan")) {
      if (Files.isDirectory(LlamaInstall.libraries(build))) {
        builds.add(build);
      }
    }
    return builds;
  }

  private static LoadedModel embeddingModel(
      ModelSource source, LlamaModel model, int parallel, int threads) throws ModelLoadException {
    int batchTokens = source.intSetting("batchSize", 2048, 8);
    String pooling = source.settings().getOrDefault("pooling", "model");
    LlamaContext.Pooling wanted =
        switch (pooling) {
          case "model" -> LlamaContext.Pooling.UNSPECIFIED;
          case "cls" -> LlamaContext.Pooling.CLS;
          case "mean" -> LlamaContext.Pooling.MEAN;
          case "last" -> LlamaContext.Pooling.LAST;
          default -> {
            model.close();
            throw new ModelLoadException(
                "pooling must be cls, mean or last, got '" + pooling + "'");
          }
        };
    try {
      LlamaContext context =
          new LlamaContext(model, batchTokens, parallel, batchTokens, threads, wanted);
      if (context.pooling()
          == LlamaContext.Pooling.NONE) { // a generative GGUF names no pooling of its own
        context.close();
        context =
            new LlamaContext(
                model, batchTokens, parallel, batchTokens, threads, LlamaContext.Pooling.MEAN);
      }
      return new LlamaEmbeddingModel(
          source,
          model,
          context,
          !source.settings().getOrDefault("normalize", "true").equals("false"));
    } catch (RuntimeException e) {
      model.close();
      throw new ModelLoadException(e.getMessage(), e);
    }
  }
}
