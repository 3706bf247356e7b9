package io.sluice.pipelines.rag;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a document into chunks of at most {@code size} characters at the most natural boundary
 * found: paragraphs are kept whole and gathered while they fit; a longer paragraph is cut after a
 * sentence, or else at a space.
 */
public final class Chunker {
  private final int size;

  public Chunker(int size) {
    if (size < 64) {
      throw new IllegalArgumentException("chunks need at least 64 characters, got " + size);
    }
    this.size = size;
  }

  public List<Chunk> chunks(String document, String text) {
    List<String> pieces = new ArrayList<>();
    for (String paragraph : text.split("\\n\\s*\\n")) {
      String clean = paragraph.strip().replaceAll("[ \\t]+", " ");
      while (clean.length() > size) {
        int cut = cutPoint(clean);
        pieces.add(clean.substring(0, cut).strip());
        clean = clean.substring(cut).strip();
      }
      if (!clean.isEmpty()) {
        pieces.add(clean);
      }
    }
    List<Chunk> chunks = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String piece : pieces) {
      if (!current.isEmpty() && current.length() + 2 + piece.length() > size) {
        chunks.add(new Chunk(document, chunks.size(), current.toString()));
        current.setLength(0);
      }
      if (!current.isEmpty()) {
        current.append("\n\n");
      }
      current.append(piece);
    }
    if (!current.isEmpty()) {
      chunks.add(new Chunk(document, chunks.size(), current.toString()));
    }
    return chunks;
  }

  private int cutPoint(String text) {
    for (int i = size - 1; i > size / 2; i--) {
      char c = text.charAt(i);
      if ((c == '.' || c == '!' || c == '?')
          && i + 1 < text.length()
          && Character.isWhitespace(text.charAt(i + 1))) {
        return i + 1;
      }
    }
    int space = text.lastIndexOf(' ', size);
    return space > size / 2 ? space : size;
  }
}
