package io.sluice.runtime.llm.chat;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.GeneratedText;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The splitter on pieces cut at every position: whatever the cuts, the reasoning and the answer are
 * the parts of the whole text around the tags.
 */
class ReasoningSplitterTest {
  private final List<GeneratedText> out = new ArrayList<>();

  private static String reasoning(List<GeneratedText> pieces) {
    return String.join("", pieces.stream().map(GeneratedText::reasoning).toList());
  }

  private static String text(List<GeneratedText> pieces) {
    return String.join("", pieces.stream().map(GeneratedText::text).toList());
  }

  /** Feeds {@code whole} in pieces of {@code size} characters. */
  private void feed(ReasoningSplitter splitter, String whole, int size) {
    for (int at = 0; at < whole.length(); at += size) {
      splitter.accept(GeneratedText.of(whole.substring(at, Math.min(whole.length(), at + size))));
    }
    splitter.finish();
  }

  @Test
  void thinkingBetweenTagsAtTheStartIsReasoningWhateverTheCuts() {
    String whole =
        "\n<think>water flows; gates hold</think>\n\nIt runs at 3 m/s. <think>not this</think>";
    for (int size = 1; size <= whole.length(); size++) {
      out.clear();
      feed(new ReasoningSplitter(ReasoningFormat.THINK, false, out::add), whole, size);
      assertThat(reasoning(out)).as("pieces of %d", size).isEqualTo("water flows; gates hold");
      assertThat(text(out))
          .as("pieces of %d", size)
          .isEqualTo("\n\nIt runs at 3 m/s. <think>not this</think>");
    }
  }

  @Test
  void aPromptThatOpenedTheThinkingMakesTheAnswerStartInsideIt() {
    String whole = "step one [/THINK]done";
    for (int size = 1; size <= whole.length(); size++) {
      out.clear();
      feed(new ReasoningSplitter(ReasoningFormat.MISTRAL, true, out::add), whole, size);
      assertThat(reasoning(out)).isEqualTo("step one ");
      assertThat(text(out)).isEqualTo("done");
    }
  }

  @Test
  void anAnswerWithoutTagsIsAllTextAndAnUnclosedThoughtAllReasoning() {
    feed(new ReasoningSplitter(ReasoningFormat.THINK, false, out::add), "<thin walls", 3);
    assertThat(text(out)).isEqualTo("<thin walls");
    assertThat(reasoning(out)).isEmpty();
    out.clear();
    feed(new ReasoningSplitter(ReasoningFormat.THINK, true, out::add), "still thinking </thi", 4);
    assertThat(reasoning(out)).isEqualTo("still thinking </thi");
    assertThat(text(out)).isEmpty();
  }

  @Test
  void thePromptOpensTheThinkingOnlyWhenItEndsWithTheTag() {
    assertThat(ReasoningFormat.THINK.openedBy("<|assistant|>\n<think>\n")).isTrue();
    assertThat(ReasoningFormat.THINK.openedBy("<think>\n\n</think>\n\n")).isFalse();
    assertThat(ReasoningFormat.NONE.openedBy("<think>")).isFalse();
  }
}
