package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mvn:// storage against a Maven repository served on loopback. */
class ModelStoreTest {
  @TempDir Path dir;
  private HttpServer repository;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final AtomicInteger downloads = new AtomicInteger();

  @BeforeEach
  void serve() throws Exception {
    repository = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    repository.createContext(
        "/maven2/",
        exchange -> {
          byte[] body =
              files.get(exchange.getRequestURI().getPath().substring("/maven2/".length()));
          if (body == null) {
            exchange.sendResponseHeaders(404, -1);
          } else {
            if (!exchange.getRequestURI().getPath().endsWith(".sha1")) {
              downloads.incrementAndGet();
            }
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
          }
          exchange.close();
        });
    repository.start();
  }

  @AfterEach
  void stop() {
    repository.stop(0);
  }

  private ModelStore store(Path... local) {
    return new ModelStore(
        dir.resolve("cache"),
        List.of(local),
        URI.create("http://127.0.0.1:" + repository.getAddress().getPort() + "/maven2"),
        Progress.SILENT);
  }

  private static byte[] zip(Map<String, String> entries) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (var entry : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(entry.getKey()));
        zip.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private void publish(String path, byte[] content, boolean withChecksum) throws Exception {
    files.put(path, content);
    if (withChecksum) {
      files.put(
          path + ".sha1",
          HexFormat.of()
              .formatHex(MessageDigest.getInstance("SHA-1").digest(content))
              .getBytes(StandardCharsets.US_ASCII));
    }
  }

  @Test
  void downloadsOnceVerifiesAndUnpacksSoSiblingFilesComeAlong() throws Exception {
    publish(
        "org/example/voice/1.0/voice-1.0.jar",
        zip(Map.of("model.onnx", "graph", "tokenizer.json", "{}")),
        true);
    Path model = store().fetch("mvn://org.example:voice:1.0!/model.onnx");
    assertThat(Files.readString(model)).isEqualTo("graph");
    assertThat(Files.readString(model.resolveSibling("tokenizer.json"))).isEqualTo("{}");
    assertThat(store().fetch("mvn://org.example:voice:1.0!/model.onnx")).isEqualTo(model);
    assertThat(downloads.get()).as("the second resolution comes from the cache").isEqualTo(1);
  }

  @Test
  void classifierAndTypeNameTheFile() throws Exception {
    publish(
        "com/alphacephei/vosk-model-en/0.3.45/vosk-model-en-0.3.45.aar",
        zip(Map.of("assets/model/conf", "x")),
        true);
    Path file = store().fetch("mvn://com.alphacephei:vosk-model-en:0.3.45::aar".replace("::", ":"));
    assertThat(file.getFileName().toString()).isEqualTo("vosk-model-en-0.3.45.aar");
    publish("g/a/1/a-1-natives.zip", zip(Map.of("lib.so", "x")), false);
    assertThat(store().fetch("mvn://g:a:1:natives:zip").getFileName().toString())
        .isEqualTo("a-1-natives.zip");
  }

  @Test
  void aChecksumMismatchIsRefusedAndLeavesNothingBehind() throws Exception {
    files.put("g/bad/1/bad-1.jar", new byte[] {1, 2, 3});
    files.put(
        "g/bad/1/bad-1.jar.sha1",
        "0000000000000000000000000000000000000000".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> store().fetch("mvn://g:bad:1"))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("checksum mismatch");
    assertThat(dir.resolve("cache/mvn/g/bad/1/bad-1.jar")).doesNotExist();
  }

  @Test
  void aLocalMavenRepositoryIsUsedFirstAndMissingArtifactsAreClearErrors() throws Exception {
    Path local = dir.resolve("m2");
    Files.createDirectories(local.resolve("g/here/2"));
    Files.writeString(local.resolve("g/here/2/here-2.jar"), "local");
    assertThat(Files.readString(store(local).fetch("mvn://g:here:2"))).isEqualTo("local");
    assertThat(downloads.get()).isZero();
    assertThatThrownBy(() -> store().fetch("mvn://g:missing:1"))
        .hasMessageContaining("answered 404");
    assertThatThrownBy(() -> store().fetch("mvn://not-coordinates"))
        .hasMessageContaining("group:artifact:version");
    publish("g/z/1/z-1.jar", zip(Map.of("a", "b")), true);
    assertThatThrownBy(() -> store().fetch("mvn://g:z:1!/nope"))
        .hasMessageContaining("has no entry 'nope'");
  }

  @Test
  void anArchiveEntryOutsideTheArchiveIsRefused() throws Exception {
    publish(
        "g/slip/1/slip-1.jar",
        zip(Map.of("model.onnx", "ok", "../../escaped.txt", "zip slip")),
        true);
    assertThatThrownBy(() -> store().fetch("mvn://g:slip:1!/model.onnx"))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining("outside the archive");
    assertThat(dir.resolve("cache/unpacked/escaped.txt")).doesNotExist();
    assertThat(dir.resolve("escaped.txt")).doesNotExist();
  }

  @Test
  void entriesAndCoordinatesCannotClimbOut() throws Exception {
    publish("g/z/1/z-1.jar", zip(Map.of("a", "b")), true);
    assertThatThrownBy(() -> store().fetch("mvn://g:z:1!/../../../../etc/passwd"))
        .hasMessageContaining("has no entry");
    assertThatThrownBy(() -> store().fetch("mvn://g:..:.."))
        .hasMessageContaining("group:artifact:version");
    assertThatThrownBy(() -> store().fetch("mvn://..:a:1"))
        .hasMessageContaining("group:artifact:version");
  }
}
