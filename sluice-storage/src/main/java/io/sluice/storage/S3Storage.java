package io.sluice.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@code s3://bucket/key} (one object) or {@code s3://bucket/prefix} (every object under it,
 * keeping their relative paths, as KServe's storage initializer does), through the AWS SDK. Objects
 * are cached under {@code s3/bucket/...} with their ETags, so a second fetch downloads only what
 * changed.
 */
final class S3Storage {
  private final S3Settings settings;
  private final Path cache;
  private final Progress progress;

  S3Storage(S3Settings settings, Path cache, Progress progress) {
    this.settings = settings;
    this.cache = cache;
    this.progress = progress;
  }

  Path fetch(String uri) throws StorageException {
    String rest = uri.substring("s3://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : rest.substring(slash + 1);
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,62}") || ("/" + prefix + "/").contains("/../")) {
      throw new StorageException("'" + uri + "' is not s3://bucket[/prefix]");
    }
    Path root = cache.resolve("s3").resolve(bucket);
    try (S3Client s3 = client()) {
      List<S3Object> objects = list(s3, bucket, prefix);
      S3Object single =
          objects.stream()
              .filter(o -> o.key().equals(prefix) && !prefix.isEmpty())
              .findFirst()
              .orElse(null);
      String directoryPrefix = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
      Path target =
          single != null
              ? root.resolve(prefix).normalize()
              : root.resolve(directoryPrefix).normalize();
      if (!target.startsWith(root)) {
        throw new StorageException("'" + uri + "' is not s3://bucket[/prefix]");
      }
      Properties etags = readEtags(target);
      if (single != null) {
        download(s3, bucket, single, target, etags, uri);
      } else {
        List<S3Object> under =
            objects.stream()
                .filter(o -> o.key().startsWith(directoryPrefix) && !o.key().endsWith("/"))
                .toList();
        if (under.isEmpty()) {
          throw new StorageException("no objects under " + uri);
        }
        for (S3Object object : under) {
          Path file = target.resolve(object.key().substring(directoryPrefix.length())).normalize();
          if (!file.startsWith(target)) {
            throw new StorageException(
                uri + " holds a key that climbs out of its prefix: " + object.key());
          }
          download(s3, bucket, object, file, etags, "s3://" + bucket + "/" + object.key());
        }
      }
      writeEtags(target, etags);
      return target;
    } catch (SdkException e) {
      throw new StorageException("cannot fetch " + uri + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new StorageException(
          "cannot fetch " + uri + " into " + root + ": " + e.getMessage(), e);
    }
  }

  private S3Client client() {
    AwsCredentialsProvider credentials;
    if (settings.accessKey() != null && settings.secretKey() != null) {
      credentials =
          StaticCredentialsProvider.create(
              settings.sessionToken() != null
                  ? AwsSessionCredentials.create(
                      settings.accessKey(), settings.secretKey(), settings.sessionToken())
                  : AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()));
    } else {
      credentials = DefaultCredentialsProvider.builder().build();
    }
    var builder =
        S3Client.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials)
            .forcePathStyle(settings.pathStyle())
            // S3-compatible stores (MinIO, Ceph, s3proxy) reject the flexible-checksum headers the
            // SDK adds by default.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (settings.endpoint() != null) {
      builder.endpointOverride(settings.endpoint());
    }
    return builder.build();
  }

  private static List<S3Object> list(S3Client s3, String bucket, String prefix) {
    List<S3Object> objects = new ArrayList<>();
    s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
        .contents()
        .forEach(objects::add);
    return objects;
  }

  private void download(
      S3Client s3, String bucket, S3Object object, Path file, Properties etags, String label)
      throws IOException, StorageException {
    if (Files.isRegularFile(file)
        && object.eTag() != null
        && object.eTag().equals(etags.getProperty(object.key()))
        && Files.size(file) == object.size()) {
      return;
    }
    Files.createDirectories(file.getParent());
    Path partial = file.resolveSibling(file.getFileName() + ".part");
    String what = "fetching " + label;
    long done = 0;
    try (InputStream in =
            s3.getObject(GetObjectRequest.builder().bucket(bucket).key(object.key()).build());
        OutputStream out = Files.newOutputStream(partial)) {
      byte[] buffer = new byte[1 << 16];
      int read;
      while ((read = in.read(buffer)) >= 0) {
        out.write(buffer, 0, read);
        done += read;
        progress.update(what, done, object.size());
      }
    }
    if (done != object.size()) {
      Files.deleteIfExists(partial);
      throw new StorageException(
          label + " ended after " + done + " of " + object.size() + " bytes");
    }
    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    etags.setProperty(object.key(), object.eTag() == null ? "" : object.eTag());
    progress.finished(what);
  }

  private static Path etagFile(Path target) {
    return target.resolveSibling(target.getFileName() + ".sluice-etags");
  }

  private static Properties readEtags(Path target) throws IOException {
    Properties etags = new Properties();
    Path file = etagFile(target);
    if (Files.exists(file)) {
      try (Reader reader = Files.newBufferedReader(file)) {
        etags.load(reader);
      }
    }
    return etags;
  }

  private static void writeEtags(Path target, Properties etags) throws IOException {
    Files.createDirectories(target.getParent());
    try (Writer writer = Files.newBufferedWriter(etagFile(target))) {
      etags.store(writer, "ETags of the objects fetched from S3");
    }
  }
}
