package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ollama's {@code keep_alive}: how long the model stays loaded after this request. A number is
 * seconds; a string is a number of seconds or a Go duration ({@code 5m}, {@code 1h30m}, {@code
 * 300ms}); {@code 0} unloads the model once idle, a negative value keeps it while nothing else
 * needs the room.
 */
final class KeepAlive {
  private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

  private KeepAlive() {}

  /** The body's {@code keep_alive}, or null when it has none. */
  static Duration of(JsonNode body) {
    JsonNode value = body.get("keep_alive");
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isNumber()) {
      return seconds(value.asDouble());
    }
    if (!value.isTextual()) {
      throw invalid(value.toString());
    }
    String text = value.asText().trim();
    try {
      return seconds(Double.parseDouble(text));
    } catch (NumberFormatException e) {
      return goDuration(text);
    }
  }

  private static Duration seconds(double seconds) {
    if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
      throw invalid(Double.toString(seconds));
    }
    return seconds < 0 ? Duration.ofSeconds(-1) : Duration.ofMillis(Math.round(seconds * 1000));
  }

  private static Duration goDuration(String text) {
    boolean negative = text.startsWith("-");
    String rest = negative ? text.substring(1) : text;
    Matcher part = PART.matcher(rest);
    double millis = 0;
    int at = 0;
    while (at < rest.length() && part.find(at) && part.start() == at) {
      double value = Double.parseDouble(part.group(1));
      millis +=
          switch (part.group(2)) {
            case "h" -> value * 3_600_000;
            case "m" -> value * 60_000;
            case "s" -> value * 1_000;
            default -> value;
          };
      at = part.end();
    }
    if (rest.isEmpty() || at != rest.length()) {
      throw invalid("\"" + text + "\"");
    }
    return negative ? Duration.ofSeconds(-1) : Duration.ofMillis(Math.round(millis));
  }

  private static InvalidParameterException invalid(String value) {
    return new InvalidParameterException(
        "keep_alive",
        null,
        "keep_alive must be seconds or a duration such as \"5m\", got " + value);
  }
}
