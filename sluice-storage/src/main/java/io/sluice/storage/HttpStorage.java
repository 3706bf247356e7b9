package io.sluice.storage;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code https://} and {@code http://} files, cached by URL and ETag: a cached file is used again
 * when the server answers a conditional request with 304 (or the same ETag), or when the server
 * cannot be reached. A fragment {@code #sha256=HEX} makes the download verified.
 */
final class HttpStorage {
  private static final Logger log = LoggerFactory.getLogger(HttpStorage.class);

  private final Path cache;
  private final HttpClient http;
  private final Downloader downloader;

  HttpStorage(Path cache, HttpClient http, Downloader downloader) {
    this.cache = cache;
    this.http = http;
    this.downloader = downloader;
  }

  Path fetch(URI uri) throws StorageException {
    Checksum expected = uri.getFragment() == null ? null : Checksum.parse(uri.getFragment());
    URI source = withoutFragment(uri);
    Path directory = cache.resolve("http").resolve(key(source.toString()));
    Path file = directory.resolve(fileName(source));
    Path etagFile = directory.resolve(".etag");
    if (Files.isRegularFile(file) && stillCurrent(source, etagFile)) {
      return file;
    }
    Downloader.Fetched fetched =
        downloader.download(
            source,
            Map.of(),
            file,
            directory.resolve(file.getFileName() + ".part"),
            expected,
            "fetching " + source);
    try {
      if (fetched.etag() != null) {
        Files.writeString(etagFile, fetched.etag());
      } else {
        Files.deleteIfExists(etagFile);
      }
    } catch (IOException e) {
      throw new StorageException(
          "cannot write to the model cache " + directory + ": " + e.getMessage(), e);
    }
    return file;
  }

  /** True when the server confirms the cached ETag, has none to compare, or cannot be reached. */
  private boolean stillCurrent(URI source, Path etagFile) {
    try {
      if (!Files.exists(etagFile)) {
        return true;
      }
      String etag = Files.readString(etagFile).trim();
      HttpResponse<Void> response =
          http.send(
              HttpRequest.newBuilder(source)
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .header("If-None-Match", etag)
                  .timeout(Duration.ofSeconds(20))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return response.statusCode() == 304
          || response.statusCode() == 200
              && etag.equals(response.headers().firstValue("ETag").orElse(null));
    } catch (IOException e) {
      log.warn("{} cannot be reached ({}); using the cached copy", source, e.getMessage());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private static URI withoutFragment(URI uri) {
    String text = uri.toString();
    int hash = text.indexOf('#');
    return hash < 0 ? uri : URI.create(text.substring(0, hash));
  }

  private static String fileName(URI source) {
    String path = source.getPath() == null ? "" : source.getPath();
    String name = path.substring(path.lastIndexOf('/') + 1);
    return name.isEmpty() || name.equals("..") || name.equals(".") ? "download" : name;
  }

  static String key(String text) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
