package io.sluice.runtime.tts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class SentencesTest {
  @Test
  void sentencesAreSpokenOneAtATime() {
    assertThat(Sentences.split("One two. Three four!  Five?", Locale.ENGLISH))
        .containsExactly("One two.", "Three four!", "Five?");
  }

  @Test
  void aLongSentenceIsCutAtClausesThenWords() {
    String clause = "word ".repeat(50).strip() + ", ";
    List<String> pieces = Sentences.split(clause.repeat(6) + "end.", Locale.ENGLISH);
    assertThat(pieces)
        .allSatisfy(piece -> assertThat(piece.length()).isLessThanOrEqualTo(Sentences.MAX_PIECE));
    assertThat(pieces.getFirst()).endsWith(",");
    assertThat(String.join(" ", pieces).replaceAll("\\s+", " "))
        .isEqualTo((clause.repeat(6) + "end.").replaceAll("\\s+", " "));

    List<String> words = Sentences.split("a ".repeat(150_000), Locale.ENGLISH);
    assertThat(words)
        .hasSizeGreaterThan(700)
        .allSatisfy(piece -> assertThat(piece.length()).isBetween(1, Sentences.MAX_PIECE));
  }

  @Test
  void textWithoutSpacesIsCutAtTheLimit() {
    List<String> pieces = Sentences.split("x".repeat(1000), Locale.ENGLISH);
    assertThat(pieces).extracting(String::length).containsExactly(400, 400, 200);
  }
}
