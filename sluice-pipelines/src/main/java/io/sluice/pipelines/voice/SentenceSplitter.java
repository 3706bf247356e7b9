package io.sluice.pipelines.voice;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts streamed text into pieces worth speaking as soon as they are complete: at the end of a
 * sentence ({@code . ! ?} and their CJK forms, or a line break), at a clause mark ({@code , ; :})
 * once the piece has {@link #CLAUSE_WORDS} words, or at a word boundary once it has {@link
 * #MAX_WORDS} words, so that speech starts early even when the text never ends a sentence. The
 * first piece is cut sooner, after {@code firstPieceWords} words: the time to the first audio is
 * what a listener waits through.
 */
public final class SentenceSplitter {
  static final int CLAUSE_WORDS = 8;
  static final int MAX_WORDS = 24;

  private final StringBuilder pending = new StringBuilder();
  private final int firstPieceWords;
  private boolean first = true;

  public SentenceSplitter(int firstPieceWords) {
    if (firstPieceWords < 1) {
      throw new IllegalArgumentException(
          "firstPieceWords must be at least 1, got " + firstPieceWords);
    }
    this.firstPieceWords = firstPieceWords;
  }

  /** Adds streamed text; returns the pieces it completed, in order. */
  public List<String> add(String text) {
    List<String> pieces = new ArrayList<>();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      char before = pending.isEmpty() ? ' ' : pending.charAt(pending.length() - 1);
      pending.append(c);
      boolean cut;
      if (c == '\n' || c == '。' || c == '！' || c == '？') {
        cut = true;
      } else if (Character.isWhitespace(c)) {
        int limit = first ? Math.min(firstPieceWords, MAX_WORDS) : MAX_WORDS;
        cut =
            switch (before) {
              case '.', '!', '?' -> true;
              case ',', ';', ':' -> words() >= Math.min(CLAUSE_WORDS, limit);
              default -> words() >= limit;
            };
      } else {
        cut = false;
      }
      if (cut) {
        take(pieces);
      }
    }
    return pieces;
  }

  /** The text left when the stream ends (possibly a sentence whose end mark came last). */
  public List<String> finish() {
    List<String> pieces = new ArrayList<>();
    take(pieces);
    return pieces;
  }

  private int words() {
    int words = 0;
    boolean inWord = false;
    for (int i = 0; i < pending.length(); i++) {
      boolean letter = !Character.isWhitespace(pending.charAt(i));
      if (letter && !inWord) {
        words++;
      }
      inWord = letter;
    }
    return words;
  }

  private void take(List<String> pieces) {
    String piece = pending.toString().strip();
    pending.setLength(0);
    if (piece.codePoints().anyMatch(Character::isLetterOrDigit)) {
      pieces.add(piece);
      first = false;
    }
  }
}
