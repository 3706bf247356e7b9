package io.sluice.engine.multiplex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The models a multiplexed deployment's location holds: each subfolder is one (its name is the
 * model's id), and each file (its name without the extension). Hidden entries are skipped.
 */
public final class MultiplexedModels {
  private MultiplexedModels() {}

  /** Model ids and where each lives, in id order; empty when the location is no folder. */
  public static Map<String, Path> in(Path folder) {
    Map<String, Path> models = new LinkedHashMap<>();
    if (!Files.isDirectory(folder)) {
      return models;
    }
    try (Stream<Path> entries = Files.list(folder)) {
      entries
          .filter(entry -> !entry.getFileName().toString().startsWith("."))
          .sorted(Comparator.comparing(entry -> entry.getFileName().toString()))
          .forEach(entry -> models.putIfAbsent(id(entry), entry));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return models;
  }

  private static String id(Path entry) {
    String name = entry.getFileName().toString();
    int dot = name.lastIndexOf('.');
    return Files.isDirectory(entry) || dot <= 0 ? name : name.substring(0, dot);
  }
}
