package io.sluice.engine.placement;

import java.util.Locale;

/** Byte counts as people read them in reasons and logs: {@code 512 MiB}, {@code 1.5 GiB}. */
public final class Sizes {
  private Sizes() {}

  public static String describe(long bytes) {
    if (bytes == Long.MAX_VALUE) {
      return "unlimited";
    }
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = 0;
    while (Math.abs(value) >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return unit == 0
        ? bytes + " B"
        : String.format(Locale.ROOT, value >= 100 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  }
}
