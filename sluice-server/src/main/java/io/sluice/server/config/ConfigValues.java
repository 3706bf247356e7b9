package io.sluice.server.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value types of the configuration, each parsed and checked in one place: names, prefixes,
 * ports, counts, durations and sizes.
 */
final class ConfigValues {
  /** The server's own first path segments, which no route prefix may take. */
  static final java.util.Set<String> SERVER_PATHS = java.util.Set.of("v1", "v2", "metrics");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

  private ConfigValues() {}

  static Duration duration(String at, String text) throws ConfigException {
    Matcher matcher = DURATION.matcher(text.trim());
    if (!matcher.matches()) {
      throw new ConfigException(
          at, "'" + text + "' is not a duration such as 500ms, 30s, 10m or 1h");
    }
    double value = Double.parseDouble(matcher.group(1));
    String unit = matcher.group(2) == null ? "s" : matcher.group(2);
    double millis =
        switch (unit) {
          case "ms" -> value;
          case "m" -> value * 60_000;
          case "h" -> value * 3_600_000;
          default -> value * 1000;
        };
    return Duration.ofNanos(Math.round(millis * 1_000_000));
  }

  static Duration positiveDuration(String at, String text) throws ConfigException {
    Duration duration = duration(at, text);
    if (duration.isZero()) {
      throw new ConfigException(at, "must be longer than zero");
    }
    return duration;
  }

  static int nonNegative(String at, int value) throws ConfigException {
    if (value < 0) {
      throw new ConfigException(at, "must not be negative, got " + value);
    }
    return value;
  }

  static double positiveNumber(String at, double value) throws ConfigException {
    if (!(value > 0)) {
      throw new ConfigException(at, "must be greater than zero, got " + value);
    }
    return value;
  }

  static String checkName(String at, String name) throws ConfigException {
    if (name == null) {
      throw new ConfigException(at, "missing");
    }
    if (!NAME.matcher(name).matches()) {
      throw new ConfigException(
          at, "'" + name + "' is not a valid name (letters, digits, '.', '_', '-')");
    }
    return name;
  }

  static String normalisePrefix(String at, String prefix) throws ConfigException {
    String trimmed = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    if (!trimmed.startsWith("/")
        || trimmed.length() < 2
        || !trimmed.substring(1).matches("[A-Za-z0-9._~/-]+")) {
      throw new ConfigException(at, "'" + prefix + "' must be a path such as /mnist");
    }
    String first = trimmed.substring(1).split("/")[0];
    if (SERVER_PATHS.contains(first)) {
      throw new ConfigException(
          at, "'" + prefix + "' would hide the server's own /" + first + " routes");
    }
    return trimmed;
  }

  static int checkPort(String at, int port) throws ConfigException {
    if (port < 0 || port > 65535) {
      throw new ConfigException(at, port + " is not a port number (0-65535; 0 picks a free port)");
    }
    return port;
  }

  static int positive(String at, int value) throws ConfigException {
    if (value < 1) {
      throw new ConfigException(at, "must be at least 1, got " + value);
    }
    return value;
  }

  static long parseSize(String at, String text) throws ConfigException {
    Matcher matcher = SIZE.matcher(text.trim());
    if (!matcher.matches()) {
      throw new ConfigException(at, "'" + text + "' is not a size such as 64Mi or 1048576");
    }
    String unit = matcher.group(2) == null ? "" : matcher.group(2).toUpperCase(Locale.ROOT);
    int shift =
        switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
          case 'K' -> 10;
          case 'M' -> 20;
          case 'G' -> 30;
          case 'T' -> 40;
          default -> 0;
        };
    try {
      long value = Long.parseLong(matcher.group(1));
      if (value > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return value << shift;
    } catch (NumberFormatException e) {
      throw new ConfigException(at, "'" + text + "' is larger than 2^63 bytes");
    }
  }
}
