package io.sluice.engine.residency;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The floor of a model's footprint before it was ever loaded: its files' size on disk. */
public final class Footprints {
  /** A folder is not walked past this many entries (a model folder has far fewer). */
  private static final int MAX_FILES = 10_000;

  private Footprints() {}

  /** Bytes of the file, or of every regular file under the directory; 0 when nothing is there. */
  public static long onDisk(Path location) {
    try {
      if (Files.isRegularFile(location)) {
        return Files.size(location);
      }
      if (!Files.isDirectory(location)) {
        return 0;
      }
      try (Stream<Path> files = Files.walk(location)) {
        return files
            .limit(MAX_FILES)
            .filter(Files::isRegularFile)
            .mapToLong(Footprints::size)
            .sum();
      }
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }
}
