package io.sluice.server.config;

import io.sluice.pipelines.PipelineSpec;
import io.sluice.pipelines.rag.RagSpec;
import io.sluice.pipelines.voice.VoiceSpec;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/** The {@code pipelines:} section, checked and turned into pipeline specs. */
final class PipelineSettings {
  private static final Set<String> DOCUMENT_SUFFIXES = Set.of(".md", ".txt", ".markdown", ".rst");

  private PipelineSettings() {}

  static List<PipelineSpec> pipelines(
      List<SluiceConfig.Pipeline> configured,
      Set<String> prefixes,
      Set<String> deployments,
      Path baseDirectory)
      throws ConfigException {
    List<PipelineSpec> pipelines = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int p = 0; p < configured.size(); p++) {
      SluiceConfig.Pipeline pipeline = configured.get(p);
      String at = "pipelines[" + p + "]";
      String name = ConfigValues.checkName(at + ".name", pipeline.name());
      if (!names.add(name)) {
        throw new ConfigException(at + ".name", "another pipeline is already named '" + name + "'");
      }
      String prefix =
          ConfigValues.normalisePrefix(
              at + ".routePrefix",
              pipeline.routePrefix() == null ? "/" + name : pipeline.routePrefix());
      if (!prefixes.add(prefix)) {
        throw new ConfigException(
            at + ".routePrefix", "an application, graph or pipeline already uses " + prefix);
      }
      String type = pipeline.type() == null ? null : pipeline.type().toLowerCase(Locale.ROOT);
      Float temperature =
          pipeline.temperature() == null ? null : pipeline.temperature().floatValue();
      if (temperature != null && (temperature < 0 || temperature > 2)) {
        throw new ConfigException(
            at + ".temperature", "must lie between 0 and 2, got " + temperature);
      }
      if ("voice".equals(type)) {
        pipelines.add(
            new VoiceSpec(
                name,
                prefix,
                deployment(at + ".asr", pipeline.asr(), deployments),
                deployment(at + ".llm", pipeline.llm(), deployments),
                deployment(at + ".tts", pipeline.tts(), deployments),
                pipeline.systemPrompt(),
                positive(at + ".maxTokens", pipeline.maxTokens(), 200),
                temperature,
                positive(
                    at + ".firstPieceWords",
                    pipeline.firstPieceWords(),
                    VoiceSpec.DEFAULT_FIRST_PIECE_WORDS),
                pipeline.vad() == null
                    ? null
                    : deployment(at + ".vad", pipeline.vad(), deployments),
                pipeline.prefillWhileSpeaking() == null || pipeline.prefillWhileSpeaking()));
      } else if ("rag".equals(type)) {
        String reranker =
            pipeline.reranker() == null
                ? null
                : deployment(at + ".reranker", pipeline.reranker(), deployments);
        int retrieve = positive(at + ".retrieve", pipeline.retrieve(), 8);
        int keep = positive(at + ".keep", pipeline.keep(), 3);
        if (keep > retrieve) {
          throw new ConfigException(
              at + ".keep", "cannot exceed retrieve (" + retrieve + "), got " + keep);
        }
        int chunkSize = positive(at + ".chunkSize", pipeline.chunkSize(), 800);
        if (chunkSize < 64) {
          throw new ConfigException(
              at + ".chunkSize", "must be at least 64 characters, got " + chunkSize);
        }
        pipelines.add(
            new RagSpec(
                name,
                prefix,
                deployment(at + ".embeddings", pipeline.embeddings(), deployments),
                reranker,
                deployment(at + ".llm", pipeline.llm(), deployments),
                documents(at + ".documents", pipeline.documents(), baseDirectory),
                chunkSize,
                retrieve,
                keep,
                pipeline.systemPrompt(),
                positive(at + ".maxTokens", pipeline.maxTokens(), 256)));
      } else {
        throw new ConfigException(
            at + ".type",
            (type == null ? "missing" : "'" + type + "' is not a pipeline type")
                + "; expected voice or rag");
      }
    }
    return pipelines;
  }

  private static String deployment(String at, String name, Set<String> deployments)
      throws ConfigException {
    if (name == null) {
      throw new ConfigException(at, "missing: name the deployment this stage calls");
    }
    if (!deployments.contains(name)) {
      throw new ConfigException(at, "no deployment is named '" + name + "'");
    }
    return name;
  }

  private static int positive(String at, Integer value, int fallback) throws ConfigException {
    return value == null ? fallback : ConfigValues.positive(at, value);
  }

  /**
   * Files, directories (their text and Markdown files) and glob patterns such as {@code
   * ../docs/*.md}.
   */
  private static List<Path> documents(String at, List<String> patterns, Path baseDirectory)
      throws ConfigException {
    if (patterns == null || patterns.isEmpty()) {
      return List.of();
    }
    Set<Path> found = new TreeSet<>();
    for (int i = 0; i < patterns.size(); i++) {
      String pattern = patterns.get(i);
      int before = found.size();
      try {
        if (pattern.contains("*") || pattern.contains("?") || pattern.contains("[")) {
          int slash = pattern.lastIndexOf('/', firstGlob(pattern));
          Path root =
              baseDirectory.resolve(slash < 0 ? "." : pattern.substring(0, slash)).normalize();
          PathMatcher matcher =
              FileSystems.getDefault().getPathMatcher("glob:" + pattern.substring(slash + 1));
          if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.walk(root)) {
              files
                  .filter(Files::isRegularFile)
                  .filter(file -> matcher.matches(root.relativize(file)))
                  .forEach(found::add);
            }
          }
        } else {
          Path path = baseDirectory.resolve(pattern).normalize();
          if (Files.isDirectory(path)) {
            try (Stream<Path> files = Files.walk(path)) {
              files
                  .filter(Files::isRegularFile)
                  .filter(PipelineSettings::isDocument)
                  .forEach(found::add);
            }
          } else if (Files.isRegularFile(path)) {
            found.add(path);
          }
        }
      } catch (IOException e) {
        throw new ConfigException(
            at + "[" + i + "]", "cannot list " + pattern + ": " + e.getMessage());
      }
      if (found.size() == before) {
        throw new ConfigException(at + "[" + i + "]", "no document matches " + pattern);
      }
    }
    return List.copyOf(found);
  }

  private static int firstGlob(String pattern) {
    int index = pattern.length();
    for (char c : new char[] {'*', '?', '['}) {
      int at = pattern.indexOf(c);
      if (at >= 0) {
        index = Math.min(index, at);
      }
    }
    return index;
  }

  private static boolean isDocument(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return DOCUMENT_SUFFIXES.stream().anyMatch(name::endsWith);
  }
}
