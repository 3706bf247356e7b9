package io.sluice.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hf://} storage in the Hugging Face hub's own cache layout ({@code
 * models--org--repo/blobs/ETAG}, {@code snapshots/COMMIT/path} linking to the blob, {@code
 * refs/REVISION} holding the commit), so a cache filled by {@code huggingface_hub} is used as is
 * and the other way round. Files are found through the hub's resolve URLs ({@code
 * /{repo}/resolve/{revision}/{path}}: the commit in {@code X-Repo-Commit}, the blob's ETag in
 * {@code X-Linked-Etag} for LFS files, which is their SHA-256 and is verified); a whole repository
 * is listed through {@code /api/models/{repo}/revision/{revision}}. When the hub cannot be reached
 * (or {@code HF_HUB_OFFLINE=1}) a cached snapshot is used.
 */
final class HuggingFaceHub {
  private static final Logger log = LoggerFactory.getLogger(HuggingFaceHub.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI endpoint;
  private final String token;
  private final Path hubCache;
  private final boolean offline;
  private final HttpClient noRedirects;
  private final HttpClient http;
  private final Downloader downloader;

  HuggingFaceHub(
      URI endpoint,
      String token,
      Path hubCache,
      boolean offline,
      HttpClient http,
      Downloader downloader) {
    this.endpoint = URI.create(endpoint.toString().replaceAll("/*$", ""));
    this.token = token == null || token.isBlank() ? null : token;
    this.hubCache = hubCache;
    this.offline = offline;
    this.http = http;
    this.noRedirects =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .sslContext(http.sslContext())
            .connectTimeout(Duration.ofSeconds(20))
            .build();
    this.downloader = downloader;
  }

  /**
   * {@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code HF_HUB_CACHE} / {@code HF_HOME}, {@code
   * HF_HUB_OFFLINE}.
   */
  static HuggingFaceHub fromEnvironment(
      Map<String, String> env, HttpClient http, Downloader downloader) {
    Path home = Path.of(System.getProperty("user.home"));
    Path hfHome =
        env.containsKey("HF_HOME")
            ? Path.of(env.get("HF_HOME"))
            : home.resolve(".cache/huggingface");
    Path cache =
        env.containsKey("HF_HUB_CACHE") ? Path.of(env.get("HF_HUB_CACHE")) : hfHome.resolve("hub");
    String offline = env.getOrDefault("HF_HUB_OFFLINE", "0");
    return new HuggingFaceHub(
        URI.create(env.getOrDefault("HF_ENDPOINT", "https://huggingface.co")),
        env.get("HF_TOKEN"),
        cache,
        offline.equals("1") || offline.equalsIgnoreCase("true"),
        http,
        downloader);
  }

  Path fetch(String text) throws StorageException {
    HuggingFaceUri uri = HuggingFaceUri.parse(text);
    Path repository = hubCache.resolve(uri.cacheFolder());
    if (!offline) {
      try {
        return uri.path() == null
            ? fetchRepository(uri, repository)
            : fetchFile(uri, repository, uri.revision(), uri.path());
      } catch (IOException e) {
        log.warn(
            "the hub at {} cannot be reached ({}); looking in the cache {}",
            endpoint,
            e.getMessage(),
            repository);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StorageException("interrupted while fetching " + text);
      }
    }
    return cached(uri, repository);
  }

  private Path fetchRepository(HuggingFaceUri uri, Path repository)
      throws IOException, InterruptedException, StorageException {
    URI listing =
        URI.create(
            endpoint + "/api/models/" + uri.repository() + "/revision/" + encode(uri.revision()));
    HttpResponse<String> response =
        http.send(request(listing).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw refused(uri, listing, response.statusCode());
    }
    JsonNode info = JSON.readTree(response.body());
    String commit = info.path("sha").asText("");
    if (!commit.matches("[0-9a-f]{40}")) {
      throw new StorageException(listing + " named no commit");
    }
    List<String> files = new ArrayList<>();
    for (JsonNode sibling : info.path("siblings")) {
      files.add(sibling.path("rfilename").asText());
    }
    for (String file : files) {
      fetchFile(uri, repository, commit, file);
    }
    writeRef(repository, uri.revision(), commit);
    return repository.resolve("snapshots").resolve(commit);
  }

  private Path fetchFile(HuggingFaceUri uri, Path repository, String revision, String file)
      throws IOException, InterruptedException, StorageException {
    URI resolve =
        URI.create(
            endpoint
                + "/"
                + uri.repository()
                + "/resolve/"
                + encode(revision)
                + "/"
                + encodePath(file));
    Metadata metadata = metadata(uri, resolve);
    Path snapshot = repository.resolve("snapshots").resolve(metadata.commit());
    Path pointer = snapshot.resolve(file).normalize();
    if (!pointer.startsWith(snapshot)) {
      throw new StorageException(
          uri.repository() + " lists a file outside the repository: " + file);
    }
    Path blob = repository.resolve("blobs").resolve(metadata.etag());
    if (!Files.exists(blob)) {
      Checksum expected =
          metadata.etag().matches("[0-9a-f]{64}") ? Checksum.sha256(metadata.etag()) : null;
      downloader.download(
          metadata.location(),
          authorization(metadata.location()),
          blob,
          blob.resolveSibling(metadata.etag() + ".incomplete"),
          expected,
          "fetching hf://" + uri.repository() + "/" + file);
    }
    if (!Files.exists(pointer)) {
      Files.createDirectories(pointer.getParent());
      Files.createSymbolicLink(pointer, pointer.getParent().relativize(blob));
    }
    if (!revision.equals(metadata.commit())) {
      writeRef(repository, revision, metadata.commit());
    }
    return pointer;
  }

  /** Where the file's bytes are, the commit the revision points at, and the blob's ETag. */
  private record Metadata(String commit, String etag, URI location) {}

  private Metadata metadata(HuggingFaceUri uri, URI resolve)
      throws IOException, InterruptedException, StorageException {
    URI current = resolve;
    for (int hop = 0; hop < 5; hop++) {
      HttpResponse<Void> response =
          noRedirects.send(
              request(current).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
              HttpResponse.BodyHandlers.discarding());
      var headers = response.headers();
      String commit = headers.firstValue("X-Repo-Commit").orElse(null);
      String etag =
          headers.firstValue("X-Linked-Etag").or(() -> headers.firstValue("ETag")).orElse(null);
      int status = response.statusCode();
      boolean redirect =
          status >= 300 && status < 400 && headers.firstValue("Location").isPresent();
      if (commit != null && etag != null && (status == 200 || redirect)) {
        URI location = redirect ? current.resolve(headers.firstValue("Location").get()) : current;
        String blob = normalize(etag);
        if (!commit.matches("[0-9a-f]{40}") || !blob.matches("[A-Za-z0-9_-][A-Za-z0-9._-]*")) {
          throw new StorageException(
              resolve + " named an invalid commit or ETag: " + commit + ", " + etag);
        }
        return new Metadata(commit, blob, location);
      }
      if (!redirect) {
        throw refused(uri, resolve, status);
      }
      current = current.resolve(headers.firstValue("Location").get());
    }
    throw new StorageException(resolve + " redirects too often");
  }

  private Path cached(HuggingFaceUri uri, Path repository) throws StorageException {
    String commit = uri.revision();
    if (!uri.revisionIsCommit()) {
      Path ref = repository.resolve("refs").resolve(uri.revision());
      try {
        commit = Files.exists(ref) ? Files.readString(ref).trim() : null;
      } catch (IOException e) {
        commit = null;
      }
    }
    Path snapshot = commit == null ? null : repository.resolve("snapshots").resolve(commit);
    Path wanted =
        snapshot == null
            ? null
            : uri.path() == null ? snapshot : snapshot.resolve(uri.path()).normalize();
    if (wanted == null || !wanted.startsWith(snapshot) || !Files.exists(wanted)) {
      throw new StorageException(
          "hf://"
              + uri.repository()
              + "@"
              + uri.revision()
              + (uri.path() == null ? "" : "/" + uri.path())
              + " is not in the cache "
              + hubCache
              + (offline
                  ? " and HF_HUB_OFFLINE is set"
                  : " and the hub at " + endpoint + " cannot be reached"));
    }
    return wanted;
  }

  private static void writeRef(Path repository, String revision, String commit) throws IOException {
    if (revision.equals(commit)) {
      return;
    }
    Path ref = repository.resolve("refs").resolve(revision);
    Files.createDirectories(ref.getParent());
    Files.writeString(ref, commit);
  }

  private HttpRequest.Builder request(URI uri) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    authorization(uri).forEach(builder::header);
    return builder;
  }

  /** The token goes only to the hub itself, never to the storage a file redirects to. */
  private Map<String, String> authorization(URI uri) {
    Map<String, String> headers = new HashMap<>();
    if (token != null
        && uri.getHost() != null
        && uri.getHost().equals(endpoint.getHost())
        && uri.getPort() == endpoint.getPort()) {
      headers.put("Authorization", "Bearer " + token);
    }
    return headers;
  }

  private StorageException refused(HuggingFaceUri uri, URI url, int status) {
    String hint =
        switch (status) {
          case 401, 403 -> " (a gated or private repository needs HF_TOKEN)";
          case 404 -> " (no such repository, revision or file)";
          default -> "";
        };
    return new StorageException(
        "cannot fetch hf://" + uri.repository() + ": " + url + " answered " + status + hint);
  }

  private static String normalize(String etag) {
    String value = etag.startsWith("W/") ? etag.substring(2) : etag;
    return value.replace("\"", "");
  }

  private static String encode(String part) {
    return URLEncoder.encode(part, StandardCharsets.UTF_8);
  }

  private static String encodePath(String path) {
    StringBuilder out = new StringBuilder();
    for (String part : path.split("/")) {
      if (!out.isEmpty()) {
        out.append('/');
      }
      out.append(encode(part).replace("+", "%20"));
    }
    return out.toString();
  }
}
