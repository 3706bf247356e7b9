package io.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.spi.Runtimes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code server.modelRoots}, model files come from those directories only: no {@code ..} and
 * no link escapes.
 */
class ModelRootsTest {
  private final ConfigLoader loader = new ConfigLoader(Runtimes.discover());
  @TempDir Path dir;

  private ServerSettings load(String storageUri) throws Exception {
    Path file = dir.resolve("sluice.yaml");
    Files.writeString(
        file,
        """
        server: {modelRoots: [models]}
        applications:
          - name: app
            deployments:
              - {name: m, runtime: test-echo, storageUri: '%s'}
        """
            .formatted(storageUri));
    return loader.load(file);
  }

  private void prepare() throws Exception {
    Files.createDirectories(dir.resolve("models/inner"));
    Files.writeString(dir.resolve("models/inner/m.onnx"), "x");
    Files.writeString(dir.resolve("secret.txt"), "outside");
  }

  @Test
  void aFileUnderARootLoads() throws Exception {
    prepare();
    assertThat(load("models/inner/m.onnx").deployments().get(0).location())
        .isEqualTo(dir.resolve("models/inner/m.onnx"));
    assertThat(load("models/inner/../inner/m.onnx").modelRoots())
        .containsExactly(dir.resolve("models").toRealPath());
  }

  @Test
  void dotDotOutOfTheRootIsRefused() throws Exception {
    prepare();
    assertThatThrownBy(() -> load("models/../secret.txt"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("applications[0].deployments[0].storageUri")
        .hasMessageContaining("outside server.modelRoots");
    assertThatThrownBy(() -> load(dir.resolve("secret.txt").toUri().toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("outside server.modelRoots");
  }

  @Test
  void aSymbolicLinkOutOfTheRootIsRefused() throws Exception {
    prepare();
    Files.createSymbolicLink(dir.resolve("models/inner/link.onnx"), dir.resolve("secret.txt"));
    Files.createSymbolicLink(dir.resolve("models/escape"), dir);
    assertThatThrownBy(() -> load("models/inner/link.onnx"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("outside server.modelRoots");
    assertThatThrownBy(() -> load("models/escape/secret.txt"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("outside server.modelRoots");
  }

  @Test
  void aConfigurationFromTheAdminApiCannotWidenTheRoots() throws Exception {
    prepare();
    ConfigLoader admin = loader.imposingRoots(List.of(dir.resolve("models").toRealPath()));
    SluiceConfig widened =
        admin.parse(
            """
        server: {modelRoots: ['/']}
        applications:
          - name: app
            deployments:
              - {name: m, runtime: test-echo, storageUri: secret.txt}
        """);
    assertThatThrownBy(() -> admin.validate(widened, dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("outside server.modelRoots");
  }

  @Test
  void mavenCoordinatesCannotClimbOutOfTheRepository() throws Exception {
    prepare();
    assertThatThrownBy(() -> load("mvn://org.example:..:..:jar"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is not group:artifact:version");
  }
}
