package io.sluice.engine.placement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * How much memory this host gives the server: the machine's ({@code MemTotal}) or its cgroup's
 * limit (v2 {@code memory.max}, v1 {@code memory.limit_in_bytes}), whichever is smaller.
 */
public final class HostMemory {
  private HostMemory() {}

  /** The default budget for replicas: what the host allows, less the server's own heap. */
  public static long defaultBudget() {
    long total = limit().orElse(Runtime.getRuntime().maxMemory() * 4);
    return Math.max(1, total - Runtime.getRuntime().maxMemory());
  }

  /** What the host or its cgroup allows, when Linux says. */
  public static OptionalLong limit() {
    OptionalLong machine = memTotal(Path.of("/proc/meminfo"));
    OptionalLong cgroup =
        firstLimit(
            Path.of("/sys/fs/cgroup/memory.max"),
            Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    if (machine.isEmpty()) {
      return cgroup;
    }
    if (cgroup.isEmpty()) {
      return machine;
    }
    return OptionalLong.of(Math.min(machine.getAsLong(), cgroup.getAsLong()));
  }

  static OptionalLong memTotal(Path meminfo) {
    try {
      for (String line : Files.readAllLines(meminfo)) {
        if (line.startsWith("MemTotal:")) {
          String[] parts = line.substring("MemTotal:".length()).trim().split("\\s+");
          return OptionalLong.of(Long.parseLong(parts[0]) * 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  /** The first of the files that holds a number (not {@code max}, not the v1 "no limit" value). */
  static OptionalLong firstLimit(Path... files) {
    for (Path file : files) {
      try {
        String text = Files.readString(file).trim();
        if (text.equals("max")) {
          continue;
        }
        long value = Long.parseLong(text);
        if (value > 0 && value < (1L << 60)) {
          return OptionalLong.of(value);
        }
      } catch (IOException | NumberFormatException e) {
        // not this cgroup version
      }
    }
    return OptionalLong.empty();
  }
}
