package io.sluice.http.json;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.InvalidInputException;

/**
 * Integer fields of client JSON, read strictly: a fraction, a string or a number past the type's
 * range is refused. Jackson's {@code asInt} would truncate {@code 99999999999999999999} to an
 * arbitrary int and parse {@code "12"}.
 */
public final class JsonIntegers {
  private JsonIntegers() {}

  /** {@code body.field} as an int, or null when absent or null. */
  public static Integer intField(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw new InvalidInputException(
          field
              + " must be an integer between "
              + Integer.MIN_VALUE
              + " and "
              + Integer.MAX_VALUE
              + ", got "
              + abbreviated(node));
    }
    return node.intValue();
  }

  /** {@code body.field} as a long, or null when absent or null. */
  public static Long longField(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToLong()) {
      throw new InvalidInputException(
          field
              + " must be an integer between "
              + Long.MIN_VALUE
              + " and "
              + Long.MAX_VALUE
              + ", got "
              + abbreviated(node));
    }
    return node.longValue();
  }

  private static String abbreviated(JsonNode node) {
    String text = node.toString();
    return text.length() <= 40 ? text : text.substring(0, 40) + "...";
  }
}
