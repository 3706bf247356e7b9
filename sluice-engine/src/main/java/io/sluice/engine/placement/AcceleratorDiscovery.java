package io.sluice.engine.placement;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds this host's accelerators with the vendors' own tools: {@code nvidia-smi}, {@code rocm-smi},
 * and Intel GPUs in sysfs. A missing tool means no devices of that vendor; nothing here fails
 * start-up.
 */
public final class AcceleratorDiscovery {
  private static final Logger log = LoggerFactory.getLogger(AcceleratorDiscovery.class);

  private AcceleratorDiscovery() {}

  public static List<Accelerator> discover() {
    List<Accelerator> found = new ArrayList<>();
    run("nvidia-smi", "--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits")
        .ifPresent(out -> found.addAll(parseNvidiaSmi(out)));
    run("rocm-smi", "--showmeminfo", "vram", "--csv")
        .ifPresent(out -> found.addAll(parseRocmSmi(out)));
    found.addAll(intelFromSysfs(Path.of("/sys/class/drm")));
    if (!found.isEmpty()) {
      log.info("accelerators found: {}", found);
    }
    return found;
  }

  /**
   * {@code nvidia-smi --query-gpu=index,name,memory.total --format=csv,noheader,nounits} (memory in
   * MiB).
   */
  static List<Accelerator> parseNvidiaSmi(String output) {
    List<Accelerator> devices = new ArrayList<>();
    for (String line : output.split("\\R")) {
      String[] fields = line.split(",");
      if (fields.length < 3) {
        continue;
      }
      try {
        int index = Integer.parseInt(fields[0].trim());
        long mib = Long.parseLong(fields[fields.length - 1].trim());
        String name =
            String.join(",", java.util.Arrays.copyOfRange(fields, 1, fields.length - 1)).trim();
        devices.add(new Accelerator("gpu" + index, "nvidia", index, name, mib << 20));
      } catch (NumberFormatException e) {
        log.debug("skipping nvidia-smi line '{}'", line);
      }
    }
    return devices;
  }

  /**
   * {@code rocm-smi --showmeminfo vram --csv}: a header naming "VRAM Total Memory (B)", one line
   * per card.
   */
  static List<Accelerator> parseRocmSmi(String output) {
    List<Accelerator> devices = new ArrayList<>();
    String[] lines = output.strip().split("\\R");
    if (lines.length < 2) {
      return devices;
    }
    String[] header = lines[0].split(",");
    int totalColumn = -1;
    for (int i = 0; i < header.length; i++) {
      if (header[i].trim().startsWith("VRAM Total Memory")) {
        totalColumn = i;
      }
    }
    if (totalColumn < 0) {
      return devices;
    }
    for (int row = 1; row < lines.length; row++) {
      String[] fields = lines[row].split(",");
      if (fields.length <= totalColumn) {
        continue;
      }
      try {
        int index = Integer.parseInt(fields[0].trim().replaceAll("\\D", ""));
        devices.add(
            new Accelerator(
                "amd" + index, "amd", index, "", Long.parseLong(fields[totalColumn].trim())));
      } catch (NumberFormatException e) {
        log.debug("skipping rocm-smi line '{}'", lines[row]);
      }
    }
    return devices;
  }

  /**
   * Intel GPUs: {@code /sys/class/drm/cardN/device/vendor} is 0x8086; memory from {@code
   * lmem_total_bytes} when the driver gives it.
   */
  static List<Accelerator> intelFromSysfs(Path drm) {
    List<Accelerator> devices = new ArrayList<>();
    if (!Files.isDirectory(drm)) {
      return devices;
    }
    try (var cards = Files.list(drm)) {
      int index = 0;
      for (Path card :
          cards.filter(p -> p.getFileName().toString().matches("card\\d+")).sorted().toList()) {
        Path vendor = card.resolve("device/vendor");
        if (!Files.isRegularFile(vendor) || !Files.readString(vendor).trim().equals("0x8086")) {
          continue;
        }
        long memory = 0;
        Path lmem = card.resolve("lmem_total_bytes");
        if (Files.isRegularFile(lmem)) {
          memory = Long.parseLong(Files.readString(lmem).trim());
        }
        devices.add(new Accelerator("xpu" + index, "intel", index, "", memory));
        index++;
      }
    } catch (IOException | NumberFormatException e) {
      log.debug("cannot read Intel GPUs from {}: {}", drm, e.toString());
    }
    return devices;
  }

  private static java.util.Optional<String> run(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(output);
    } catch (IOException e) {
      return java.util.Optional.empty(); // the tool is not installed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return java.util.Optional.empty();
    }
  }
}
