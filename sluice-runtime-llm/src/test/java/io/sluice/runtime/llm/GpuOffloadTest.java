package io.sluice.runtime.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.spi.ModelLoadException;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GpuOffloadTest {
  private static final long GIB = 1L << 30;
  private static final Set<String> ALL = Set.of("cpu", "cuda", "vulkan");

  @Test
  void thePlacementsVendorPicksTheBuild() throws Exception {
    assertThat(GpuOffload.build(Map.of(), ALL)).isEqualTo("cpu");
    assertThat(GpuOffload.build(Map.of("placement.vendor", "nvidia"), ALL)).isEqualTo("cuda");
    assertThat(GpuOffload.build(Map.of("placement.vendor", "nvidia"), Set.of("cpu", "vulkan")))
        .isEqualTo("vulkan");
    assertThat(GpuOffload.build(Map.of("placement.vendor", "amd"), ALL)).isEqualTo("vulkan");
    assertThat(GpuOffload.build(Map.of("placement.vendor", "intel"), Set.of("cpu")))
        .isEqualTo("cpu");
    assertThat(GpuOffload.build(Map.of("placement.vendor", "nvidia", "build", "vulkan"), ALL))
        .isEqualTo("vulkan");
    assertThatThrownBy(() -> GpuOffload.build(Map.of("build", "metal"), ALL))
        .isInstanceOf(ModelLoadException.class);
  }

  @Test
  void vulkanSeesOnlyThePlacedDevices() {
    assertThat(GpuOffload.environment("vulkan", Map.of("placement.devices", "1,2")))
        .containsExactly(Map.entry("GGML_VK_VISIBLE_DEVICES", "1,2"));
    assertThat(GpuOffload.environment("cuda", Map.of("placement.devices", "1")))
        .isEmpty(); // CUDA_VISIBLE_DEVICES is the worker's
  }

  @Test
  void aFractionOfACardBecomesALayerBudget() throws Exception {
    long weights = 8 * GIB;
    assertThat(GpuOffload.gpuLayers("cpu", Map.of(), weights, 32)).isZero();
    assertThat(GpuOffload.gpuLayers("cuda", Map.of(), weights, 32))
        .as("no budget known: all")
        .isEqualTo(-1);
    assertThat(
            GpuOffload.gpuLayers(
                "cuda", Map.of("placement.memoryBytes", Long.toString(80 * GIB)), weights, 32))
        .isEqualTo(-1);
    // half of a 10 GiB card: 4 GiB of 0.25 GiB layers
    assertThat(
            GpuOffload.gpuLayers(
                "cuda", Map.of("placement.memoryBytes", Long.toString(5 * GIB)), weights, 32))
        .isEqualTo(16);
    assertThat(
            GpuOffload.gpuLayers(
                "cuda", Map.of("placement.memoryBytes", "1", "gpuLayers", "7"), weights, 32))
        .isEqualTo(7);
    assertThatThrownBy(() -> GpuOffload.gpuLayers("cuda", Map.of("gpuLayers", "-3"), weights, 32))
        .isInstanceOf(ModelLoadException.class);
  }
}
