package io.sluice.runtime.tts;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits text into the pieces a synthesiser speaks one at a time: sentences, and sentences longer
 * than {@link #MAX_PIECE} characters cut at a clause or word boundary. MaryTTS's cost grows faster
 * than linearly with the length of what it is given at once (300,000 characters without a full stop
 * ran for over 20 minutes), and shorter pieces start streaming sooner and can be cancelled between
 * them.
 */
final class Sentences {
  static final int MAX_PIECE = 400;

  private Sentences() {}

  /** The pieces of {@code text}, trimmed, blank ones dropped. */
  static List<String> split(String text, Locale locale) {
    BreakIterator boundaries = BreakIterator.getSentenceInstance(locale);
    boundaries.setText(text);
    List<String> pieces = new ArrayList<>();
    for (int start = boundaries.first(), end = boundaries.next();
        end != BreakIterator.DONE;
        start = end, end = boundaries.next()) {
      cut(text.substring(start, end).strip(), pieces);
    }
    return pieces;
  }

  private static void cut(String sentence, List<String> pieces) {
    while (sentence.length() > MAX_PIECE) {
      int at = lastBoundary(sentence, ",;:", MAX_PIECE / 2);
      if (at < 0) {
        at = lastBoundary(sentence, " \t\n", 1);
      }
      int end = at < 0 ? MAX_PIECE : at + 1;
      pieces.add(sentence.substring(0, end).strip());
      sentence = sentence.substring(end).strip();
    }
    if (!sentence.isEmpty()) {
      pieces.add(sentence);
    }
  }

  /**
   * The last of {@code marks} within the first {@link #MAX_PIECE} characters, at or after {@code
   * from}; or -1.
   */
  private static int lastBoundary(String sentence, String marks, int from) {
    for (int i = MAX_PIECE - 1; i >= from; i--) {
      if (marks.indexOf(sentence.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }
}
