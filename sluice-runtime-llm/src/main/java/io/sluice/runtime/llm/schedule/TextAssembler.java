package io.sluice.runtime.llm.schedule;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Turns token pieces into text that is safe to hand out: whole UTF-8 characters only (a character
 * may span tokens), and never the start of a stop string (which may span tokens too) until it is
 * clear it is not one.
 */
final class TextAssembler {
  private final List<String> stops;
  private final ByteArrayOutputStream pendingBytes = new ByteArrayOutputStream();
  private final StringBuilder held = new StringBuilder();
  private boolean stopped;
  private String matchedStop;

  TextAssembler(List<String> stops) {
    this.stops = stops.stream().filter(stop -> !stop.isEmpty()).toList();
  }

  /**
   * Adds a token's bytes; returns the text now safe to emit. After a stop string, {@link
   * #stopped()} is true.
   */
  String push(byte[] piece) {
    if (stopped) {
      return "";
    }
    pendingBytes.writeBytes(piece);
    byte[] bytes = pendingBytes.toByteArray();
    int complete = completeUtf8Length(bytes);
    pendingBytes.reset();
    pendingBytes.write(bytes, complete, bytes.length - complete);
    held.append(new String(bytes, 0, complete, StandardCharsets.UTF_8));
    return release();
  }

  boolean stopped() {
    return stopped;
  }

  /** The stop string that ended the text, null while none has. */
  String matchedStop() {
    return matchedStop;
  }

  /** Everything still held back (the generation ended for another reason than a stop string). */
  String flush() {
    if (stopped) {
      return "";
    }
    byte[] rest = pendingBytes.toByteArray();
    pendingBytes.reset();
    held.append(new String(rest, StandardCharsets.UTF_8));
    String text = held.toString();
    held.setLength(0);
    return text;
  }

  private String release() {
    int earliest = -1;
    for (String stop : stops) {
      int at = held.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) {
        earliest = at;
        matchedStop = stop;
      }
    }
    if (earliest >= 0) {
      stopped = true;
      String text = held.substring(0, earliest);
      held.setLength(0);
      return text;
    }
    int keep = 0;
    for (String stop : stops) {
      keep = Math.max(keep, overlap(held, stop));
    }
    String text = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    return text;
  }

  /** The longest suffix of {@code text} that is a proper prefix of {@code stop}. */
  private static int overlap(CharSequence text, String stop) {
    for (int length = Math.min(stop.length() - 1, text.length()); length > 0; length--) {
      boolean match = true;
      for (int i = 0; i < length && match; i++) {
        match = text.charAt(text.length() - length + i) == stop.charAt(i);
      }
      if (match) {
        return length;
      }
    }
    return 0;
  }

  /** The length of the longest prefix of {@code bytes} that ends on a UTF-8 character boundary. */
  static int completeUtf8Length(byte[] bytes) {
    int end = bytes.length;
    for (int back = 1; back <= Math.min(3, end); back++) {
      int b = bytes[end - back] & 0xFF;
      if ((b & 0xC0) == 0x80) {
        continue; // a continuation byte: look further back for the lead byte
      }
      int need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
      return need > back ? end - back : end;
    }
    return end;
  }
}
