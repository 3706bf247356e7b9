package io.sluice.spi.transform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.spi.ModelLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The settings contract every transformer step reads its configuration through. */
class StepSourceTest {

  @Test
  void filesResolveAgainstTheModelsDirectoryWhetherTheModelIsAFileOrAFolder(@TempDir Path dir)
      throws Exception {
    Path model = Files.writeString(dir.resolve("model.onnx"), "");
    assertThat(new StepSource(model, Map.of("labels", "labels.txt")).file("labels"))
        .isEqualTo(dir.resolve("labels.txt"));
    assertThat(new StepSource(dir, Map.of("labels", "sub/../labels.txt")).file("labels"))
        .isEqualTo(dir.resolve("labels.txt"));
    assertThat(new StepSource(dir, Map.of()).file("labels")).isNull();
  }

  @Test
  void blankSettingsFallBackAndNumbersAreChecked(@TempDir Path dir) throws Exception {
    StepSource source =
        new StepSource(dir, Map.of("size", " 224 ", "blank", " ", "mean", "0.5, 0.25,1"));
    assertThat(source.setting("blank", "fallback")).isEqualTo("fallback");
    assertThat(source.intSetting("size", 1, 1)).isEqualTo(224);
    assertThat(source.intSetting("absent", 7, 1)).isEqualTo(7);
    assertThat(source.floats("mean", null)).containsExactly(0.5f, 0.25f, 1f);
    assertThatThrownBy(() -> new StepSource(dir, Map.of("size", "0")).intSetting("size", 1, 1))
        .isInstanceOf(ModelLoadException.class)
        .hasMessage("size must be an integer of at least 1, got '0'");
    assertThatThrownBy(() -> new StepSource(dir, Map.of("mean", "1,x")).floats("mean", null))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("comma-separated numbers");
  }
}
