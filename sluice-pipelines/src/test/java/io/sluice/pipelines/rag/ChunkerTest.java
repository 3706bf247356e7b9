package io.sluice.pipelines.rag;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  @Test
  void paragraphsAreGatheredWhileTheyFitAndLongOnesAreCutAfterASentence() {
    String text =
        "First paragraph is short.\n\nSecond one too.\n\n"
            + "A long sentence about rivers. ".repeat(6);
    List<Chunk> chunks = new Chunker(100).chunks("doc.md", text);
    assertThat(chunks.getFirst().text()).isEqualTo("First paragraph is short.\n\nSecond one too.");
    assertThat(chunks)
        .allSatisfy(chunk -> assertThat(chunk.text().length()).isLessThanOrEqualTo(100));
    assertThat(chunks.subList(1, chunks.size()))
        .allSatisfy(chunk -> assertThat(chunk.text()).endsWith("rivers."));
    assertThat(chunks).extracting(Chunk::index).containsExactly(0, 1, 2);
    assertThat(
            String.join(" ", chunks.subList(1, chunks.size()).stream().map(Chunk::text).toList()))
        .isEqualTo("A long sentence about rivers. ".repeat(6).strip());
  }

  @Test
  void textWithoutSentenceEndsIsCutAtSpaces() {
    List<Chunk> chunks = new Chunker(64).chunks("d", "word ".repeat(40));
    assertThat(chunks)
        .allSatisfy(
            chunk -> {
              assertThat(chunk.text())
                  .doesNotStartWith(" ")
                  .doesNotEndWith(" ")
                  .doesNotContain("wo rd");
              assertThat(chunk.text().length()).isLessThanOrEqualTo(64);
            });
  }
}
