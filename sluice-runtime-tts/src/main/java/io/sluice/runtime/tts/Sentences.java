package io.sluice.runtime.tts;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Splits text into the sentences a streaming synthesiser speaks one at a time. */
final class Sentences {
  private Sentences() {}

  /** The sentences of {@code text}, trimmed, blank ones dropped; the whole text when it has no boundary. */
  static List<String> split(String text, Locale locale) {
    BreakIterator boundaries = BreakIterator.getSentenceInstance(locale);
    boundaries.setText(text);
    List<String> sentences = new ArrayList<>();
    for (int start = boundaries.first(), end = boundaries.next(); end != BreakIterator.DONE; start = end, end = boundaries.next()) {
      String sentence = text.substring(start, end).strip();
      if (!sentence.isEmpty()) {
        sentences.add(sentence);
      }
    }
    return sentences;
  }
}
