package io.sluice.server.config;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.spi.Runtimes;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The configuration loader on arbitrary YAML: settings or a {@link ConfigException} with a path,
 * nothing else. Maven downloads go to a closed loopback port, so fuzzing never reaches the network.
 */
class ConfigLoaderFuzzTest {
  private static final Path BASE = directory();
  private static final ConfigLoader LOADER =
      new ConfigLoader(
          Runtimes.discover(),
          new ModelStore(
              BASE.resolve("cache"),
              List.of(),
              URI.create("http://127.0.0.1:9/"),
              Progress.SILENT));

  private static Path directory() {
    try {
      Path dir = Files.createTempDirectory("sluice-config-fuzz");
      Files.writeString(dir.resolve("model.onnx"), "not a model");
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void yamlBecomesSettingsOrAConfigError(String yaml) {
    try {
      LOADER.validate(LOADER.parse(yaml), BASE);
    } catch (ConfigException expected) {
      // exits 2 with the YAML path of the problem
    }
  }
}
