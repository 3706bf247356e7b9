package io.sluice.engine.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's resident memory, as Linux reports it in {@code /proc/PID/status}. */
final class ResidentSet {
  private ResidentSet() {}

  /** Bytes of {@code VmRSS}, or -1 where there is no such file (not Linux, process gone). */
  static long ofProcess(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring("VmRSS:".length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }
}
