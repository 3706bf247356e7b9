package io.sluice.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;

/**
 * Unpacks model archives ({@code .zip}, {@code .jar}, {@code .aar}, {@code .tar}, {@code .tar.gz},
 * {@code .tgz}) once into a directory. Entries that would land outside it (zip-slip) and links that
 * point outside it are refused, so an archive can never write or expose a file elsewhere.
 */
final class Archives {
  static final String DONE_MARKER = ".sluice-unpacked";

  private Archives() {}

  static boolean isArchive(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".zip")
        || name.endsWith(".tar.gz")
        || name.endsWith(".tgz")
        || name.endsWith(".tar");
  }

  /** Unpacks {@code archive} into {@code directory} unless an earlier call finished doing so. */
  static Path unpack(Path archive, Path directory, Progress progress) throws StorageException {
    Path done = directory.resolve(DONE_MARKER);
    if (Files.exists(done)) {
      return directory;
    }
    String label = "unpacking " + archive.getFileName();
    try {
      Files.createDirectories(directory);
      Path root = directory.toRealPath();
      long total = Files.size(archive);
      try (CountingInputStream raw =
              new CountingInputStream(new BufferedInputStream(Files.newInputStream(archive)));
          ArchiveInputStream<? extends ArchiveEntry> entries = open(archive, raw)) {
        ArchiveEntry entry;
        while ((entry = entries.getNextEntry()) != null) {
          Path out = inside(root, entry.getName(), archive);
          if (entry.isDirectory()) {
            Files.createDirectories(out);
          } else if (entry instanceof TarArchiveEntry tar
              && (tar.isSymbolicLink() || tar.isLink())) {
            link(root, out, tar, archive);
          } else if (entry instanceof TarArchiveEntry tar && !tar.isFile()) {
            continue; // devices and fifos have no place in a model
          } else {
            Files.createDirectories(out.getParent());
            Files.copy(entries, out, StandardCopyOption.REPLACE_EXISTING);
          }
          progress.update(label, Math.min(raw.count, total), total);
        }
      }
      Files.writeString(done, archive.toString());
      progress.finished(label);
      return directory;
    } catch (IOException e) {
      throw new StorageException("cannot unpack " + archive + ": " + e.getMessage(), e);
    }
  }

  private static ArchiveInputStream<? extends ArchiveEntry> open(Path archive, InputStream in)
      throws IOException {
    String name = archive.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) {
      return new TarArchiveInputStream(new GZIPInputStream(in, 1 << 16));
    }
    if (name.endsWith(".tar")) {
      return new TarArchiveInputStream(in);
    }
    return new ZipArchiveInputStream(in);
  }

  private static Path inside(Path root, String name, Path archive) throws StorageException {
    Path out = root.resolve(name).normalize();
    if (!out.startsWith(root)) {
      throw new StorageException(
          archive.getFileName() + " holds an entry outside the archive: " + name);
    }
    return out;
  }

  private static void link(Path root, Path out, TarArchiveEntry entry, Path archive)
      throws IOException, StorageException {
    Path target =
        entry.isSymbolicLink()
            ? out.getParent().resolve(entry.getLinkName()).normalize()
            : root.resolve(entry.getLinkName()).normalize();
    if (!target.startsWith(root)) {
      throw new StorageException(
          archive.getFileName()
              + " holds a link out of the archive: "
              + entry.getName()
              + " -> "
              + entry.getLinkName());
    }
    Files.createDirectories(out.getParent());
    Files.deleteIfExists(out);
    if (entry.isSymbolicLink()) {
      Files.createSymbolicLink(out, out.getParent().relativize(target));
    } else {
      Files.createLink(out, target);
    }
  }

  private static final class CountingInputStream extends java.io.FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int read = super.read(buffer, offset, length);
      if (read > 0) {
        count += read;
      }
      return read;
    }
  }
}
