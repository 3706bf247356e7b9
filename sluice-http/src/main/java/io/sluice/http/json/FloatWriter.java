package io.sluice.http.json;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * Writes floating-point numbers to a {@link JsonGenerator} as their shortest decimal text (the one
 * that reads back as the same value) without allocating per number. Jackson's own writer allocates
 * a converter, a byte array and a string for every number (about 90 bytes: for a tensor of floats
 * most of the garbage a response makes); {@code StringBuilder.append(float)} runs the same
 * algorithm (Schubfach, the JDK's since 19) into the builder without allocating on JDK 25, and
 * faster. One writer per response, never shared between threads.
 */
public final class FloatWriter {
  private final StringBuilder text = new StringBuilder(32);
  private final char[] chars = new char[32];

  public void write(JsonGenerator json, float value) throws IOException {
    if (!Float.isFinite(value)) {
      json.writeNumber(value); // NaN and infinities as the generator's settings say
      return;
    }
    text.setLength(0);
    text.append(value);
    flush(json);
  }

  public void write(JsonGenerator json, double value) throws IOException {
    if (!Double.isFinite(value)) {
      json.writeNumber(value);
      return;
    }
    text.setLength(0);
    text.append(value);
    flush(json);
  }

  private void flush(JsonGenerator json) throws IOException {
    int length = text.length(); // at most 24 characters ("-1.2345678901234567E-308")
    text.getChars(0, length, chars, 0);
    json.writeNumber(chars, 0, length);
  }
}
