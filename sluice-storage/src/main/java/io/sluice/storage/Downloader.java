package io.sluice.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one URL into a file through a partial file next to it, so that a broken transfer
 * resumes where it stopped (a {@code Range} request guarded by {@code If-Range} on the validator
 * the first response gave; a server that ignores ranges simply sends the whole file again). The
 * file appears only when complete and, if a checksum is expected, verified; a mismatch removes the
 * partial file.
 */
final class Downloader {
  private static final int ATTEMPTS = 3;
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  private final HttpClient http;
  private final Progress progress;

  Downloader(HttpClient http, Progress progress) {
    this.http = http;
    this.progress = progress;
  }

  /** What the server said about the file it sent. */
  record Fetched(Path file, String etag) {}

  /**
   * @param partial where the bytes go until complete (e.g. {@code target + ".part"}); its validator
   *     is kept in {@code partial + ".validator"}
   * @param expected the digest the whole file must have, or null
   */
  Fetched download(
      URI source,
      Map<String, String> headers,
      Path target,
      Path partial,
      Checksum expected,
      String label)
      throws StorageException {
    Path validatorFile = partial.resolveSibling(partial.getFileName() + ".validator");
    IOException lastFailure = null;
    try {
      Files.createDirectories(target.getParent());
      for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        try {
          String etag = transfer(source, headers, partial, validatorFile, label);
          verify(partial, validatorFile, expected, source);
          Files.move(
              partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          Files.deleteIfExists(validatorFile);
          progress.finished(label);
          return new Fetched(target, etag);
        } catch (IOException e) {
          lastFailure = e;
        }
      }
    } catch (IOException e) {
      lastFailure = e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageException("interrupted while fetching " + source);
    }
    throw new StorageException(
        "cannot fetch "
            + source
            + " after "
            + ATTEMPTS
            + " tries: "
            + lastFailure.getMessage()
            + " (the partial download is kept and resumes next time)",
        lastFailure);
  }

  private String transfer(
      URI source, Map<String, String> headers, Path partial, Path validatorFile, String label)
      throws IOException, InterruptedException, StorageException {
    long have = Files.exists(partial) ? Files.size(partial) : 0;
    String validator =
        have > 0 && Files.exists(validatorFile) ? Files.readString(validatorFile).trim() : null;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(source).GET().timeout(Duration.ofMinutes(10));
    headers.forEach(request::header);
    if (validator != null) {
      request.header("Range", "bytes=" + have + "-").header("If-Range", validator);
    }
    HttpResponse<InputStream> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    int status = response.statusCode();
    boolean resumed = status == 206 && validator != null && rangeStart(response.headers()) == have;
    if (status == 416) {
      response.body().close();
      Files.deleteIfExists(partial);
      throw new IOException("the server refused to resume at byte " + have + "; starting again");
    }
    if (status != 200 && !resumed) {
      response.body().close();
      throw new StorageException("cannot fetch " + source + ": the server answered " + status);
    }
    String etag = response.headers().firstValue("ETag").orElse(null);
    String newValidator =
        etag != null ? etag : response.headers().firstValue("Last-Modified").orElse(null);
    if (newValidator != null && !resumed) {
      Files.writeString(validatorFile, newValidator);
    }
    long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
    long total = length < 0 ? -1 : length + (resumed ? have : 0);
    long done = resumed ? have : 0;
    try (InputStream in = response.body();
        OutputStream out =
            resumed
                ? Files.newOutputStream(partial, StandardOpenOption.APPEND)
                : Files.newOutputStream(partial)) {
      byte[] buffer = new byte[1 << 16];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        done += read;
        progress.update(label, done, total);
      }
    }
    if (total >= 0 && done != total) {
      throw new IOException("the connection ended after " + done + " of " + total + " bytes");
    }
    return etag;
  }

  private static long rangeStart(HttpHeaders headers) {
    Optional<String> range = headers.firstValue("Content-Range");
    if (range.isEmpty()) {
      return -1;
    }
    Matcher matcher = CONTENT_RANGE.matcher(range.get().trim());
    return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
  }

  private static void verify(Path file, Path validatorFile, Checksum expected, URI source)
      throws IOException, StorageException {
    if (expected == null) {
      return;
    }
    MessageDigest digest = expected.newDigest();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buffer = new byte[1 << 16];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        digest.update(buffer, 0, read);
      }
    }
    byte[] actual = digest.digest();
    if (!expected.matches(actual)) {
      Files.deleteIfExists(file);
      Files.deleteIfExists(validatorFile);
      throw new StorageException(
          "checksum mismatch for "
              + source
              + ": expected "
              + expected
              + ", got "
              + new Checksum(expected.algorithm(), HexFormat.of().formatHex(actual))
              + "; nothing was kept");
    }
  }
}
