package io.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.storage.testing.LocalFileServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code sluice pull}: the storage code as a standalone step, as KServe's storage initializer runs
 * it.
 */
class PullCommandTest {
  @TempDir Path dir;

  @Test
  void pullsIntoTheDestinationAndRefusesAWrongChecksum() throws Exception {
    try (LocalFileServer server = new LocalFileServer(null)) {
      server.put("/models/model.onnx", "weights".getBytes(StandardCharsets.UTF_8));
      String uri = server.uri("/models/model.onnx").toString();
      Path destination = dir.resolve("mnt/models");
      PrintStream original = System.out;
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int code;
      try {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        code =
            new CommandLine(new SluiceCommand())
                .execute(
                    "pull",
                    "--cache",
                    dir.resolve("cache").toString(),
                    uri,
                    destination.toString());
      } finally {
        System.setOut(original);
      }
      assertThat(code).isZero();
      assertThat(destination.resolve("model.onnx")).hasContent("weights");
      assertThat(out.toString(StandardCharsets.UTF_8).trim())
          .isEqualTo(destination.resolve("model.onnx").toString());

      int refused =
          new CommandLine(new SluiceCommand())
              .execute(
                  "pull",
                  "--cache",
                  dir.resolve("cache2").toString(),
                  "--sha256",
                  "0".repeat(64),
                  uri,
                  dir.resolve("other").toString());
      assertThat(refused).isEqualTo(1);
      assertThat(dir.resolve("other")).doesNotExist();
    }
  }

  @Test
  void aDirectoryIsCopiedWithItsLinksFollowed() throws Exception {
    Path snapshot = Files.createDirectories(dir.resolve("snapshot/onnx"));
    Path blob = Files.writeString(dir.resolve("blob"), "graph");
    Files.createSymbolicLink(snapshot.resolve("model.onnx"), blob);
    Files.writeString(dir.resolve("snapshot/config.json"), "{}");
    Path destination = PullCommand.copy(dir.resolve("snapshot"), dir.resolve("out"));
    assertThat(destination.resolve("onnx/model.onnx")).hasContent("graph");
    assertThat(Files.isSymbolicLink(destination.resolve("onnx/model.onnx"))).isFalse();
    assertThat(destination.resolve("config.json")).hasContent("{}");
  }
}
