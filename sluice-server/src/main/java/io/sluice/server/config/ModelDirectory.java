package io.sluice.server.config;

import io.sluice.api.kserve.ModelFormats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What KServe hands a serving runtime: a model name and a directory ({@code /mnt/models}, where its
 * storage initializer put the model), and ports. The model's format is read from the files: a
 * {@code .gguf} is served by {@code llama}, an {@code .onnx} by {@code onnx}, a Vosk model
 * directory by {@code vosk}, a whisper.cpp {@code ggml-*.bin} by {@code whisper-cpp}; a format
 * KServe names ({@code --model_format}) wins.
 */
public final class ModelDirectory {
  private ModelDirectory() {}

  /** The configuration (YAML) serving the model at {@code /v2/models/{name}} on {@code port}. */
  public static String toConfiguration(String name, Path location, String format, int port)
      throws ConfigException {
    if (!Files.exists(location)) {
      throw new ConfigException("--model_dir", "no such file or directory: " + location);
    }
    ModelFormats.Runtime runtime =
        (format != null ? ModelFormats.runtime(format) : detect(location))
            .orElseThrow(
                () ->
                    new ConfigException(
                        format != null ? "--model_format" : "--model_dir",
                        format != null
                            ? "'"
                                + format
                                + "' is not served by Sluice; it serves "
                                + ModelFormats.names()
                            : "cannot tell the model's format from the files in "
                                + location
                                + "; name it with --model_format"));
    Path model =
        runtime.name().equals("vosk") || Files.isRegularFile(location)
            ? location
            : modelFile(location, runtime);
    String checked = ConfigValues.checkName("--model_name", name);
    return """
        server: {host: 0.0.0.0, port: %d}
        applications:
          - name: %s
            deployments:
              - {name: %s, runtime: %s, hosting: %s, storageUri: '%s'}
        """
        .formatted(
            port,
            checked,
            checked,
            runtime.name(),
            runtime.worker() ? "worker" : "in-process",
            model.toUri());
  }

  private static Optional<ModelFormats.Runtime> detect(Path location) {
    if (Files.isDirectory(location.resolve("am")) && Files.isDirectory(location.resolve("conf"))) {
      return ModelFormats.runtime("vosk");
    }
    for (Path file : files(location)) {
      String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".gguf")) {
        return ModelFormats.runtime("gguf");
      }
      if (name.endsWith(".onnx")) {
        return ModelFormats.runtime("onnx");
      }
      if (name.startsWith("ggml") && name.endsWith(".bin")) {
        return ModelFormats.runtime("whisper");
      }
    }
    return Optional.empty();
  }

  private static Path modelFile(Path directory, ModelFormats.Runtime runtime) {
    for (Path file : files(directory)) {
      String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
      boolean matches =
          switch (runtime.name()) {
            case "llama" -> name.endsWith(".gguf");
            case "onnx", "embeddings", "reranker" -> name.endsWith(".onnx");
            case "whisper-cpp" -> name.endsWith(".bin");
            default -> false;
          };
      if (matches) {
        return file;
      }
    }
    return directory;
  }

  private static List<Path> files(Path location) {
    if (Files.isRegularFile(location)) {
      return List.of(location);
    }
    try (Stream<Path> files = Files.walk(location, 3)) {
      return files.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
