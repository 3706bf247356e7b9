package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.storage.testing.LocalFileServer;
import io.sluice.storage.testing.LocalHub;
import io.sluice.storage.testing.LocalS3;
import io.sluice.storage.testing.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** https://, hf:// and s3:// storage against real servers on loopback. */
class RemoteStorageTest {
  private static TestCertificates certificates;
  @TempDir Path dir;

  @BeforeAll
  static void authority() throws Exception {
    certificates = new TestCertificates();
  }

  private ModelStore store(Map<String, String> environment) throws Exception {
    return new ModelStore(
        dir.resolve("cache"),
        List.of(),
        URI.create("http://127.0.0.1:9/"),
        Progress.SILENT,
        environment,
        ModelStore.defaultHttpClient(certificates.context(null)));
  }

  private static byte[] random(int size) {
    byte[] bytes = new byte[size];
    new Random(size).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] content) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
  }

  private LocalFileServer https() throws Exception {
    return new LocalFileServer(certificates.serverContext(certificates.server("localhost")));
  }

  @Test
  void httpsDownloadsOnceThenRevalidatesByEtag() throws Exception {
    try (LocalFileServer server = https()) {
      byte[] model = random(300_000);
      server.put("/models/model.onnx", model);
      ModelStore store = store(Map.of());
      Path file = store.fetch(server.uri("/models/model.onnx").toString());
      assertThat(file.getFileName().toString()).isEqualTo("model.onnx");
      assertThat(Files.readAllBytes(file)).isEqualTo(model);

      assertThat(store.fetch(server.uri("/models/model.onnx").toString())).isEqualTo(file);
      assertThat(server.seen())
          .extracting(LocalFileServer.Seen::method)
          .containsExactly("GET", "HEAD");

      byte[] retrained = random(200_000);
      server.put("/models/model.onnx", retrained);
      assertThat(Files.readAllBytes(store.fetch(server.uri("/models/model.onnx").toString())))
          .isEqualTo(retrained);
    }
  }

  @Test
  void aCachedFileIsUsedWhenTheServerIsGone() throws Exception {
    String uri;
    Path file;
    try (LocalFileServer server = https()) {
      server.put("/m.onnx", random(5_000));
      uri = server.uri("/m.onnx").toString();
      file = store(Map.of()).fetch(uri);
    }
    assertThat(store(Map.of()).fetch(uri)).isEqualTo(file);
  }

  @Test
  void aBrokenTransferResumesWhereItStopped() throws Exception {
    try (LocalFileServer server = https()) {
      byte[] model = random(1_000_000);
      server.put("/big.gguf", model);
      server.cutNextResponseAfter(400_000);
      Path file = store(Map.of()).fetch(server.uri("/big.gguf") + "#sha256=" + sha256(model));
      assertThat(Files.readAllBytes(file)).isEqualTo(model);
      List<String> ranges = server.seen().stream().map(LocalFileServer.Seen::range).toList();
      assertThat(ranges).hasSize(2);
      assertThat(ranges.get(0)).isNull();
      long resumedAt = Long.parseLong(ranges.get(1).replaceAll("bytes=(\\d+)-", "$1"));
      assertThat(resumedAt)
          .as("resumed after the bytes that arrived")
          .isPositive()
          .isLessThanOrEqualTo(400_000);
      assertThat(file.resolveSibling("big.gguf.part")).doesNotExist();
    }
  }

  @Test
  void aWrongChecksumFailsClearlyAndKeepsNothing() throws Exception {
    try (LocalFileServer server = https()) {
      server.put("/m.onnx", random(10_000));
      String wrong = "0".repeat(64);
      assertThatThrownBy(() -> store(Map.of()).fetch(server.uri("/m.onnx") + "#sha256=" + wrong))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("checksum mismatch")
          .hasMessageContaining("expected sha256=" + wrong);
      try (Stream<Path> files = Files.walk(dir.resolve("cache"))) {
        assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
      }
      assertThatThrownBy(() -> store(Map.of()).fetch(server.uri("/m.onnx") + "#md5=abc"))
          .hasMessageContaining("is not a checksum");
    }
  }

  @Test
  void anUntrustedServerIsRefused() throws Exception {
    try (LocalFileServer server = https()) {
      server.put("/m.onnx", random(100));
      ModelStore trustingNothingExtra =
          new ModelStore(
              dir.resolve("cache"),
              List.of(),
              URI.create("http://127.0.0.1:9/"),
              Progress.SILENT,
              Map.of(),
              ModelStore.defaultHttpClient(null));
      assertThatThrownBy(() -> trustingNothingExtra.fetch(server.uri("/m.onnx").toString()))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("cannot fetch");
    }
  }

  @Test
  void archivesUnpackAndCannotEscape() throws Exception {
    try (LocalFileServer server = https()) {
      server.put(
          "/bundle.tar.gz",
          tarGz(Map.of("model/model.onnx", "graph", "model/tokenizer.json", "{}"), Map.of()));
      Path unpacked = store(Map.of()).fetch(server.uri("/bundle.tar.gz").toString());
      assertThat(unpacked.resolve("model/model.onnx")).hasContent("graph");
      Path entry = store(Map.of()).fetch(server.uri("/bundle.tar.gz") + "!/model/tokenizer.json");
      assertThat(entry).hasContent("{}");

      server.put("/slip.tar.gz", tarGz(Map.of("../../outside.txt", "slip"), Map.of()));
      assertThatThrownBy(() -> store(Map.of()).fetch(server.uri("/slip.tar.gz").toString()))
          .hasMessageContaining("outside the archive");
      server.put(
          "/link.tar.gz",
          tarGz(Map.of("model.onnx", "x"), Map.of("passwd", "../../../../../etc/passwd")));
      assertThatThrownBy(() -> store(Map.of()).fetch(server.uri("/link.tar.gz").toString()))
          .hasMessageContaining("link out of the archive");
      server.put(
          "/inner.tar.gz",
          tarGz(Map.of("weights/model.onnx", "inner"), Map.of("current", "weights")));
      assertThat(store(Map.of()).fetch(server.uri("/inner.tar.gz") + "!/current/model.onnx"))
          .hasContent("inner");
    }
  }

  private static byte[] tarGz(Map<String, String> files, Map<String, String> symlinks)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
      for (var file : files.entrySet()) {
        byte[] content = file.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
      for (var link : symlinks.entrySet()) {
        TarArchiveEntry entry =
            new TarArchiveEntry(link.getKey(), TarArchiveEntry.LF_SYMLINK, true);
        entry.setLinkName(link.getValue());
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void huggingFaceRepositoriesLandInTheHubCacheLayout() throws Exception {
    String commit = "0123456789abcdef0123456789abcdef01234567";
    try (LocalHub hub = new LocalHub("acme/tiny-model", commit)) {
      byte[] weights = random(50_000);
      hub.put("config.json", "{\"model_type\":\"bert\"}".getBytes(StandardCharsets.UTF_8));
      hub.put("onnx/model.onnx", weights);
      Path hubCache = dir.resolve("hf");
      Map<String, String> env =
          Map.of("HF_ENDPOINT", hub.endpoint().toString(), "HF_HUB_CACHE", hubCache.toString());

      Path snapshot = store(env).fetch("hf://acme/tiny-model");
      Path repository = hubCache.resolve("models--acme--tiny-model");
      assertThat(snapshot).isEqualTo(repository.resolve("snapshots").resolve(commit));
      assertThat(Files.readAllBytes(snapshot.resolve("onnx/model.onnx"))).isEqualTo(weights);
      assertThat(Files.isSymbolicLink(snapshot.resolve("onnx/model.onnx"))).isTrue();
      assertThat(repository.resolve("blobs").resolve(sha256(weights))).exists();
      assertThat(repository.resolve("refs/main")).hasContent(commit);
      assertThat(hub.downloads()).isEqualTo(2);

      Path single = store(env).fetch("hf://acme/tiny-model@main/config.json");
      assertThat(single).hasContent("{\"model_type\":\"bert\"}");
      assertThat(hub.downloads()).as("cached blobs are not fetched again").isEqualTo(2);
    }
  }

  @Test
  void gatedRepositoriesNeedTheTokenAndTheCacheServesWhenTheHubIsGone() throws Exception {
    String commit = "fedcba9876543210fedcba9876543210fedcba98";
    Path hubCache = dir.resolve("hf");
    Map<String, String> env = new HashMap<>(Map.of("HF_HUB_CACHE", hubCache.toString()));
    try (LocalHub hub = new LocalHub("acme/gated", commit)) {
      hub.put("model.onnx", random(4_096));
      hub.requireToken("hf_secret");
      env.put("HF_ENDPOINT", hub.endpoint().toString());
      assertThatThrownBy(() -> store(env).fetch("hf://acme/gated/model.onnx"))
          .hasMessageContaining("answered 401")
          .hasMessageContaining("HF_TOKEN");
      env.put("HF_TOKEN", "hf_secret");
      assertThat(store(env).fetch("hf://acme/gated/model.onnx")).exists();
    }
    assertThat(store(env).fetch("hf://acme/gated/model.onnx")).exists();
    assertThat(store(env).fetch("hf://acme/gated")).isDirectory();
    assertThatThrownBy(() -> store(env).fetch("hf://acme/other"))
        .hasMessageContaining("is not in the cache");
    env.put("HF_HUB_OFFLINE", "1");
    assertThat(store(env).fetch("hf://acme/gated@" + commit + "/model.onnx")).exists();
    assertThatThrownBy(() -> store(env).fetch("hf://acme/gated/../../etc"))
        .hasMessageContaining("is not hf://");
  }

  @Test
  void s3ObjectsAndPrefixes() throws Exception {
    try (LocalS3 s3 = new LocalS3(Files.createDirectories(dir.resolve("s3-data")))) {
      byte[] model = random(70_000);
      s3.put("models", "mnist/v1/model.onnx", model);
      s3.put("models", "mnist/v1/labels.txt", "0\n1\n".getBytes(StandardCharsets.UTF_8));
      s3.put("models", "mnist/v2/model.onnx", random(10));
      ModelStore store = store(s3.environment());

      Path single = store.fetch("s3://models/mnist/v1/model.onnx");
      assertThat(Files.readAllBytes(single)).isEqualTo(model);

      Path prefix = store.fetch("s3://models/mnist/v1");
      assertThat(Files.readAllBytes(prefix.resolve("model.onnx"))).isEqualTo(model);
      assertThat(prefix.resolve("labels.txt")).hasContent("0\n1\n");
      assertThat(prefix.resolve("../v2")).doesNotExist();
      long modified = Files.getLastModifiedTime(prefix.resolve("model.onnx")).toMillis();
      Thread.sleep(20);
      store.fetch("s3://models/mnist/v1/");
      assertThat(Files.getLastModifiedTime(prefix.resolve("model.onnx")).toMillis())
          .as("an unchanged object is not downloaded again")
          .isEqualTo(modified);

      assertThatThrownBy(() -> store.fetch("s3://models/nothing-here"))
          .hasMessageContaining("no objects under");
      Map<String, String> wrongKey = new HashMap<>(s3.environment());
      wrongKey.put("AWS_SECRET_ACCESS_KEY", "wrong");
      assertThatThrownBy(() -> store(wrongKey).fetch("s3://models/mnist/v1/model.onnx"))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("cannot fetch s3://models");
    }
  }

  @Test
  void npmPackagesComeFromTheRegistryAsTheirTarballs() throws Exception {
    try (LocalFileServer server = https()) {
      server.put(
          "/registry/@ricky0123/vad-web/-/vad-web-0.0.31.tgz",
          tarGz(
              Map.of("package/dist/silero_vad_v5.onnx", "vad", "package/package.json", "{}"),
              Map.of()));
      Map<String, String> environment =
          Map.of("npm_config_registry", server.uri("/registry").toString());
      Path model =
          store(environment).fetch("npm://@ricky0123/vad-web@0.0.31!/dist/silero_vad_v5.onnx");
      assertThat(model).hasFileName("silero_vad_v5.onnx").hasContent("vad");
      assertThat(store(environment).fetch("npm://@ricky0123/vad-web@0.0.31"))
          .isDirectory()
          .isEqualTo(model.getParent().getParent());
      assertThatThrownBy(() -> store(environment).fetch("npm://@ricky0123/vad-web@^0.0.31"))
          .hasMessageContaining("exact version");
      assertThatThrownBy(() -> store(environment).fetch("npm://@ricky0123/vad-web@0.0.30"))
          .isInstanceOf(StorageException.class);
    }
  }

  @Test
  void unknownSchemesAreNamed() {
    assertThatThrownBy(
            () ->
                new ModelStore(dir, List.of(), URI.create("http://127.0.0.1:9/"), Progress.SILENT)
                    .fetch("gs://bucket/model"))
        .hasMessageContaining("supported: mvn://, https://");
  }
}
