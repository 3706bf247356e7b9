package io.sluice.pipelines.voice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SentenceSplitterTest {
  private static List<String> split(SentenceSplitter splitter, String... deltas) {
    List<String> pieces = new ArrayList<>();
    for (String delta : deltas) {
      pieces.addAll(splitter.add(delta));
    }
    pieces.addAll(splitter.finish());
    return pieces;
  }

  @Test
  void sentencesEndAtTheirMarkEvenWhenTheSpaceComesInTheNextDelta() {
    assertThat(split(new SentenceSplitter(30), "Hello there.", " How are", " you? Fine", "!"))
        .containsExactly("Hello there.", "How are you?", "Fine!");
  }

  @Test
  void piecesCompleteAsSoonAsTheTextAllows() {
    SentenceSplitter splitter = new SentenceSplitter(30);
    assertThat(splitter.add("It is 3.5 degrees"))
        .isEmpty(); // a decimal point is not a sentence end
    assertThat(splitter.add(" today. And")).containsExactly("It is 3.5 degrees today.");
    assertThat(splitter.finish()).containsExactly("And");
  }

  @Test
  void theFirstPieceIsCutAfterItsWordsAndLaterOnesAtClausesOrTheWordLimit() {
    SentenceSplitter splitter = new SentenceSplitter(3);
    List<String> pieces = new ArrayList<>();
    for (String word : "one two three four five six seven eight nine ten, eleven".split(" ")) {
      pieces.addAll(splitter.add(word + " "));
    }
    assertThat(pieces).containsExactly("one two three");
    assertThat(splitter.finish()).containsExactly("four five six seven eight nine ten, eleven");

    SentenceSplitter clauses = new SentenceSplitter(30);
    String text = "a b c d e f g h, i j";
    assertThat(split(clauses, text)).containsExactly("a b c d e f g h,", "i j");
    String long_ = "w ".repeat(30).strip();
    assertThat(split(new SentenceSplitter(30), long_))
        .hasSize(2)
        .first()
        .asString()
        .hasSize(2 * 24 - 1);
  }

  @Test
  void piecesWithoutWordsAreNotSpoken() {
    assertThat(split(new SentenceSplitter(8), "Yes.", " ...", "\n", " - ", "\n"))
        .containsExactly("Yes.");
  }
}
