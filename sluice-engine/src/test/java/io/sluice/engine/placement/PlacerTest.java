package io.sluice.engine.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacerTest {
  private static final long GI = 1L << 30;

  private static Placer seedHost() {
    return new Placer(
        List.of(
            new Accelerator("gpu0", "nvidia", 0, "RTX 4060", 8 * GI),
            new Accelerator("gpu1", "nvidia", 1, "RTX 4060", 8 * GI),
            new Accelerator("gpu2", "nvidia", 2, "RTX 4060", 8 * GI)));
  }

  private static ResourceRequest gpus(double share, long memory) {
    return new ResourceRequest(1, 0, share, memory, null);
  }

  @Test
  void packsTheSeedLayoutOntoThreeCards() {
    Placer placer = seedHost();
    Placement whisper = placer.reserve("whisper-1", gpus(0.5, 3 * GI)).placement();
    Placement tts = placer.reserve("tts-1", gpus(0.5, 3 * GI)).placement();
    Placement embeddings = placer.reserve("embeddings-1", gpus(0.8, 2 * GI)).placement();
    Placement llm = placer.reserve("llm-1", gpus(0.95, 7 * GI)).placement();
    assertThat(whisper.devices()).isEqualTo(tts.devices());
    assertThat(List.of(whisper.devices().get(0), embeddings.devices().get(0), llm.devices().get(0)))
        .doesNotHaveDuplicates();
    assertThat(placer.shareInUse().values()).containsExactlyInAnyOrder(1.0, 0.8, 0.95);
  }

  @Test
  void refusesWhatDoesNotFitWithAReasonAndNeverOversubscribes() {
    Placer placer = seedHost();
    placer.reserve("a", gpus(0.5, 3 * GI));
    placer.reserve("b", gpus(0.5, 3 * GI));
    placer.reserve("c", gpus(0.8, 2 * GI));
    placer.reserve("d", gpus(0.95, 7 * GI));
    Placer.Result refused = placer.reserve("e", gpus(0.5, 1 * GI));
    assertThat(refused.placed()).isFalse();
    assertThat(refused.refusal())
        .startsWith("no accelerator has room for gpus=0.5")
        .contains("gpu0 has 0.00 share")
        .contains("gpu1 has 0.20 share");
    assertThat(placer.shareInUse().values()).allMatch(share -> share <= 1.0);
    placer.release("c");
    assertThat(placer.reserve("e", gpus(0.5, 1 * GI)).placed()).isTrue();
  }

  @Test
  void memoryIsABudgetToo() {
    Placer placer = new Placer(List.of(new Accelerator("gpu0", "nvidia", 0, "", 8 * GI)));
    assertThat(placer.reserve("a", gpus(0.25, 6 * GI)).placed()).isTrue();
    assertThat(placer.reserve("b", gpus(0.25, 3 * GI)).refusal()).contains("gpuMemory");
  }

  @Test
  void wholeDevicesAndAcceleratorTypes() {
    Placer placer =
        new Placer(
            List.of(
                new Accelerator("gpu0", "nvidia", 0, "A100", 40 * GI),
                new Accelerator("gpu1", "nvidia", 1, "A100", 40 * GI),
                new Accelerator("amd0", "amd", 0, "MI300", 192 * GI)));
    Placement two = placer.reserve("llm", new ResourceRequest(0, 0, 2, 0, "a100")).placement();
    assertThat(two.devices()).extracting(Accelerator::id).containsExactly("gpu0", "gpu1");
    assertThat(two.visibilityEnvironment()).isEqualTo(Map.of("CUDA_VISIBLE_DEVICES", "0,1"));
    assertThat(placer.reserve("more", new ResourceRequest(0, 0, 0.5, 0, "A100")).placed())
        .isFalse();
    Placement amd = placer.reserve("x", new ResourceRequest(0, 0, 0.5, 0, "amd")).placement();
    assertThat(amd.visibilityEnvironment()).isEqualTo(Map.of("HIP_VISIBLE_DEVICES", "0"));
    assertThat(placer.reserve("y", new ResourceRequest(0, 0, 1, 0, "tpu")).refusal())
        .contains("acceleratorType 'tpu'");
    assertThat(
            new Placement(List.of(new Accelerator("xpu0", "intel", 3, "", GI)), 0.5, 0)
                .visibilityEnvironment())
        .isEqualTo(Map.of("ONEAPI_DEVICE_SELECTOR", "level_zero:3"));
  }

  @Test
  void cpuOnlyRequestsAlwaysPlaceAndAHostWithoutDevicesRefusesGpuRequests() {
    Placer placer = new Placer(List.of());
    assertThat(placer.reserve("cpu", ResourceRequest.NONE).placement())
        .isEqualTo(Placement.CPU_ONLY);
    assertThat(placer.reserve("gpu", gpus(0.5, 0)).refusal())
        .startsWith("no accelerators on this host");
  }

  @Test
  void parsesTheVendorTools() {
    assertThat(
            AcceleratorDiscovery.parseNvidiaSmi(
                "0, NVIDIA H100 80GB HBM3, 81559\n1, Tesla T4, 15360\n"))
        .containsExactly(
            new Accelerator("gpu0", "nvidia", 0, "NVIDIA H100 80GB HBM3", 81559L << 20),
            new Accelerator("gpu1", "nvidia", 1, "Tesla T4", 15360L << 20));
    assertThat(
            AcceleratorDiscovery.parseRocmSmi(
                "device,VRAM Total Memory (B),VRAM Total Used Memory (B)\ncard0,68702699520,10960896\ncard1,68702699520,0\n"))
        .extracting(Accelerator::id, Accelerator::memoryBytes)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("amd0", 68702699520L),
            org.assertj.core.groups.Tuple.tuple("amd1", 68702699520L));
    assertThat(AcceleratorDiscovery.parseNvidiaSmi("NVIDIA-SMI has failed")).isEmpty();
  }

  @Test
  void findsIntelGpusInSysfs(@org.junit.jupiter.api.io.TempDir java.nio.file.Path drm)
      throws Exception {
    java.nio.file.Files.createDirectories(drm.resolve("card0/device"));
    java.nio.file.Files.writeString(drm.resolve("card0/device/vendor"), "0x10de\n");
    java.nio.file.Files.createDirectories(drm.resolve("card1/device"));
    java.nio.file.Files.writeString(drm.resolve("card1/device/vendor"), "0x8086\n");
    java.nio.file.Files.writeString(drm.resolve("card1/lmem_total_bytes"), "17179869184\n");
    assertThat(AcceleratorDiscovery.intelFromSysfs(drm))
        .containsExactly(new Accelerator("xpu0", "intel", 0, "", 16 * GI));
  }
}
