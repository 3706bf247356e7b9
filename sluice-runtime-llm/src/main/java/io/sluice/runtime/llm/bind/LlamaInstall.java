package io.sluice.runtime.llm.bind;

import java.nio.file.Path;

/**
 * Where {@code bin/install-llama} puts llama.cpp: {@code $SLUICE_LLAMA_HOME}, else {@code
 * ~/.cache/sluice/llama/3.22.1}, with {@code lib/cpu}, {@code lib/cuda}, {@code lib/vulkan} and
 * {@code include}.
 */
public final class LlamaInstall {
  /**
   * The npm version of {@code @node-llama-cpp/linux-x64} whose structs {@link Layouts} describes.
   */
  public static final String VERSION = "3.22.1";

  private LlamaInstall() {}

  public static Path home() {
    String configured = System.getenv("SLUICE_LLAMA_HOME");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    return Path.of(System.getProperty("user.home"), ".cache", "sluice", "llama", VERSION);
  }

  /** The libraries of one build: {@code cpu}, {@code cuda} or {@code vulkan}. */
  public static Path libraries(String build) {
    return home().resolve("lib").resolve(build);
  }
}
