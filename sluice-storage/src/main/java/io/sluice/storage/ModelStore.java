package io.sluice.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Turns model storage URIs into local files. {@code mvn://group:artifact:version[:classifier][:type]}
 * names a file in a Maven repository: it is taken from the local Maven repository when there, else
 * downloaded from the remote repository (checksum verified against its {@code .sha1}) into the cache.
 * {@code mvn://...!/path/in/archive} unpacks the archive once into the cache and names a file in it,
 * so the model's sibling files (a tokenizer next to an ONNX graph) come along.
 */
public final class ModelStore {
  private final Path cache;
  private final List<Path> localRepositories;
  private final URI remoteRepository;
  private final Progress progress;
  private final HttpClient http = HttpClient.newBuilder()
      .followRedirects(HttpClient.Redirect.NORMAL)
      .connectTimeout(Duration.ofSeconds(20))
      .build();

  /**
   * @param cache where downloads and unpacked archives go
   * @param localRepositories Maven repositories on disk to look in first (e.g. {@code ~/.m2/repository})
   * @param remoteRepository where to download from (e.g. {@code https://repo.maven.apache.org/maven2/})
   */
  public ModelStore(Path cache, List<Path> localRepositories, URI remoteRepository, Progress progress) {
    this.cache = cache;
    this.localRepositories = List.copyOf(localRepositories);
    this.remoteRepository = URI.create(remoteRepository.toString().replaceAll("/*$", "/"));
    this.progress = progress;
  }

  /**
   * The usual store: cache {@code $SLUICE_MODELS} (default {@code ~/.cache/sluice/models}), local
   * repository {@code ~/.m2/repository}, remote {@code $SLUICE_MAVEN_REPOSITORY} or Maven Central.
   */
  public static ModelStore standard(Progress progress) {
    Path home = Path.of(System.getProperty("user.home"));
    String cache = System.getenv("SLUICE_MODELS");
    String remote = System.getenv().getOrDefault("SLUICE_MAVEN_REPOSITORY", "https://repo.maven.apache.org/maven2/");
    return new ModelStore(cache != null ? Path.of(cache) : home.resolve(".cache/sluice/models"),
        List.of(home.resolve(".m2/repository")), URI.create(remote), progress);
  }

  public static boolean isMaven(String uri) {
    return uri.startsWith("mvn://");
  }

  /** The local path of an {@code mvn://} URI, fetching and unpacking as needed. */
  public Path fetchMaven(String uri) throws StorageException {
    String spec = uri.substring("mvn://".length());
    String entry = null;
    int bang = spec.indexOf("!/");
    if (bang >= 0) {
      entry = spec.substring(bang + 2);
      spec = spec.substring(0, bang);
    }
    MavenCoordinates coordinates;
    try {
      coordinates = MavenCoordinates.parse(spec);
    } catch (IllegalArgumentException e) {
      throw new StorageException(e.getMessage());
    }
    Path artifact = artifact(coordinates);
    if (entry == null) {
      return artifact;
    }
    Path unpacked = unpack(coordinates, artifact);
    Path file = unpacked.resolve(entry).normalize();
    if (!file.startsWith(unpacked) || !Files.exists(file)) {
      throw new StorageException(coordinates + " has no entry '" + entry + "'");
    }
    try {
      if (!file.toRealPath().startsWith(unpacked.toRealPath())) {
        throw new StorageException(coordinates + " entry '" + entry + "' links outside the archive");
      }
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  private Path artifact(MavenCoordinates coordinates) throws StorageException {
    for (Path repository : localRepositories) {
      Path local = repository.resolve(coordinates.repositoryPath());
      if (Files.isRegularFile(local)) {
        return local;
      }
    }
    Path cached = cache.resolve("mvn").resolve(coordinates.repositoryPath());
    if (Files.isRegularFile(cached)) {
      return cached;
    }
    download(coordinates, cached);
    return cached;
  }

  private void download(MavenCoordinates coordinates, Path target) throws StorageException {
    URI source = remoteRepository.resolve(coordinates.repositoryPath());
    String label = "fetching " + coordinates;
    try {
      Files.createDirectories(target.getParent());
      String expectedSha1 = fetchChecksum(URI.create(source + ".sha1"));
      Path partial = target.resolveSibling(target.getFileName() + ".part");
      HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(source).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        response.body().close();
        throw new StorageException("cannot fetch " + coordinates + ": " + source + " answered " + response.statusCode());
      }
      long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(partial)) {
        byte[] buffer = new byte[1 << 16];
        long done = 0;
        int read;
        while ((read = in.read(buffer)) >= 0) {
          out.write(buffer, 0, read);
          sha1.update(buffer, 0, read);
          done += read;
          progress.update(label, done, total);
        }
      }
      String actual = HexFormat.of().formatHex(sha1.digest());
      if (expectedSha1 != null && !expectedSha1.equalsIgnoreCase(actual)) {
        Files.deleteIfExists(partial);
        throw new StorageException("checksum mismatch for " + coordinates + ": expected sha1 " + expectedSha1
            + ", got " + actual);
      }
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      progress.finished(label);
    } catch (IOException e) {
      throw new StorageException("cannot fetch " + coordinates + " from " + source + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("interrupted while fetching " + coordinates);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The published SHA-1 (first word of the .sha1 file), or null when the repository has none. */
  private String fetchChecksum(URI uri) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).GET().build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
    if (response.statusCode() != 200) {
      return null;
    }
    String text = response.body().trim();
    return text.isEmpty() ? null : text.split("\\s+")[0];
  }

  private Path unpack(MavenCoordinates coordinates, Path archive) throws StorageException {
    Path directory = cache.resolve("unpacked").resolve(coordinates.repositoryPath());
    Path done = directory.resolve(".sluice-unpacked");
    if (Files.exists(done)) {
      return directory;
    }
    String label = "unpacking " + coordinates;
    try {
      Files.createDirectories(directory);
      long total = Files.size(archive);
      long seen = 0;
      try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(archive))) {
        ZipEntry entry;
        while ((entry = zip.getNextEntry()) != null) {
          Path out = directory.resolve(entry.getName()).normalize();
          if (!out.startsWith(directory)) {
            throw new StorageException(coordinates + " holds an entry outside the archive: " + entry.getName());
          }
          if (entry.isDirectory()) {
            Files.createDirectories(out);
          } else {
            Files.createDirectories(out.getParent());
            Files.copy(zip, out, StandardCopyOption.REPLACE_EXISTING);
            seen += Math.max(0, entry.getCompressedSize());
            progress.update(label, Math.min(seen, total), total);
          }
        }
      }
      Files.writeString(done, coordinates.toString());
      progress.finished(label);
      return directory;
    } catch (IOException e) {
      throw new StorageException("cannot unpack " + archive + ": " + e.getMessage(), e);
    }
  }
}
