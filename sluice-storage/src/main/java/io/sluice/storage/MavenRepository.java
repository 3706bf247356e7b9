package io.sluice.storage;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code mvn://group:artifact:version[:classifier][:type]}: the artifact from a local Maven
 * repository when there, else downloaded from the remote one (verified against its published {@code
 * .sha1}) into the cache.
 */
final class MavenRepository {
  private final Path cache;
  private final List<Path> localRepositories;
  private final URI remoteRepository;
  private final HttpClient http;
  private final Downloader downloader;

  MavenRepository(
      Path cache,
      List<Path> localRepositories,
      URI remoteRepository,
      HttpClient http,
      Downloader downloader) {
    this.cache = cache;
    this.localRepositories = List.copyOf(localRepositories);
    this.remoteRepository = URI.create(remoteRepository.toString().replaceAll("/*$", "/"));
    this.http = http;
    this.downloader = downloader;
  }

  Path fetch(String spec) throws StorageException {
    MavenCoordinates coordinates;
    try {
      coordinates = MavenCoordinates.parse(spec);
    } catch (IllegalArgumentException e) {
      throw new StorageException(e.getMessage());
    }
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
    URI source = remoteRepository.resolve(coordinates.repositoryPath());
    String sha1 = publishedSha1(URI.create(source + ".sha1"), coordinates);
    return downloader
        .download(
            source,
            Map.of(),
            cached,
            cached.resolveSibling(cached.getFileName() + ".part"),
            sha1 == null ? null : Checksum.sha1(sha1),
            "fetching " + coordinates)
        .file();
  }

  /** The published SHA-1 (first word of the .sha1 file), or null when the repository has none. */
  private String publishedSha1(URI uri, MavenCoordinates coordinates) throws StorageException {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(uri).GET().build(),
              HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
      String text = response.body().trim();
      if (response.statusCode() != 200 || text.isEmpty()) {
        return null;
      }
      String sha1 = text.split("\\s+")[0];
      return sha1.matches("[0-9a-fA-F]{40}") ? sha1 : null;
    } catch (IOException e) {
      throw new StorageException(
          "cannot fetch " + coordinates + " from " + uri + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("interrupted while fetching " + coordinates);
    }
  }
}
