package io.sluice.runtime.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import io.sluice.testkit.CrossEncoderWriter;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bi-encoder reranker on BGE-small (relevance BGE finds obvious; cosines equal the
 * embeddings'), and the cross-encoder path on a model the test writes (BGE's real tokenizer, seeded
 * weights, a logit computable by hand).
 */
@Tag("slow")
class RerankerRuntimeTest {
  private static float[] scores(LoadedModel model, List<String> queries, List<String> documents) {
    List<Tensor> outputs =
        model.infer(
            List.of(bytes("query", queries), bytes("document", documents)), List.of("score"));
    FloatBuffer values = outputs.getFirst().data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] scores = new float[values.remaining()];
    values.get(scores);
    return scores;
  }

  private static Tensor bytes(String name, List<String> texts) {
    return Tensor.ofBytes(
        name,
        new long[] {texts.size()},
        texts.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList());
  }

  @Test
  void aQueryAboutCatsRanksTheKittenAboveTaxes() throws Exception {
    Path onnx = ModelStore.standard(Progress.SILENT).fetch(EmbeddingsRuntimeTest.BGE);
    try (LoadedModel reranker =
            new RerankerRuntime()
                .load(new ModelSource("r", "1", onnx, Map.of("mode", "bi-encoder")));
        LoadedModel embeddings =
            new EmbeddingsRuntime().load(new ModelSource("e", "1", onnx, Map.of()))) {
      assertThat(reranker.metadata().outputs().getFirst().name()).isEqualTo("score");
      String query = "Where do cats like to sleep?";
      List<String> documents =
          List.of(
              "The quarterly tax filing deadline moved to April.",
              "A kitten curled up asleep on the warm windowsill.",
              "Stock markets closed lower on Friday.");
      float[] scores = scores(reranker, List.of(query, query, query), documents);
      assertThat(scores[1]).isGreaterThan(scores[0]);
      assertThat(scores[1]).isGreaterThan(scores[2]);

      // the reranker embeds the distinct texts in one batch, in order of appearance: the same batch
      // here
      Tensor vectors =
          embeddings
              .infer(
                  List.of(
                      bytes(
                          "text",
                          List.of(query, documents.get(0), documents.get(1), documents.get(2)))),
                  List.of("embedding"))
              .getFirst();
      FloatBuffer values = vectors.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      int width = (int) vectors.shape()[1];
      float cosine = 0;
      for (int d = 0; d < width; d++) {
        cosine += values.get(d) * values.get(2 * width + d);
      }
      assertThat(scores[1]).isCloseTo(cosine, Offset.offset(1e-5f));
      float[] alone = scores(reranker, List.of(query), List.of(documents.get(1)));
      // int8 dynamic quantization scales by the whole batch: the same pair scores a little
      // differently in another batch
      assertThat(alone[0]).isCloseTo(scores[1], Offset.offset(0.02f));
    }
  }

  @Test
  void aCrossEncoderScoresEachPairAsItsWeightsSayAloneOrBatched(@TempDir Path dir)
      throws Exception {
    Path bge = ModelStore.standard(Progress.SILENT).fetch(EmbeddingsRuntimeTest.BGE);
    Path tokenizerFile =
        Files.copy(
            Files.list(bge.getParent())
                .filter(p -> p.toString().endsWith("tokenizer.json"))
                .findFirst()
                .orElseThrow(),
            dir.resolve("tokenizer.json"));
    CrossEncoderWriter.Weights weights =
        CrossEncoderWriter.write(dir.resolve("model.onnx"), 30522, 16, 7);
    List<String> queries = List.of("where do cats sleep", "where do cats sleep", "tax deadline");
    List<String> documents =
        List.of(
            "a kitten asleep on the windowsill",
            "markets closed lower",
            "the filing deadline is in April, "
                + "unless an extension was granted by the revenue service");
    try (HuggingFaceTokenizer tokenizer =
            HuggingFaceTokenizer.newInstance(tokenizerFile, Map.of("padding", "false"));
        LoadedModel reranker =
            new RerankerRuntime().load(new ModelSource("x", "1", dir, Map.of()));
        LoadedModel squashed =
            new RerankerRuntime().load(new ModelSource("x", "1", dir, Map.of("sigmoid", "true")))) {
      float[] batched = scores(reranker, queries, documents);
      float[] probabilities = scores(squashed, queries, documents);
      for (int i = 0; i < queries.size(); i++) {
        Encoding pair = tokenizer.encode(queries.get(i), documents.get(i));
        assertThat(pair.getTypeIds())
            .contains(0L, 1L); // a real pair: [CLS] query [SEP] document [SEP]
        double expected = weights.logit(pair.getIds(), pair.getTypeIds());
        assertThat((double) batched[i]).isCloseTo(expected, Offset.offset(1e-4));
        assertThat(scores(reranker, List.of(queries.get(i)), List.of(documents.get(i)))[0])
            .as("alone, without the padding of a batch")
            .isCloseTo(batched[i], Offset.offset(1e-5f));
        assertThat((double) probabilities[i])
            .isCloseTo(1 / (1 + Math.exp(-expected)), Offset.offset(1e-5));
      }
    }
  }

  @Test
  void mismatchedRowsAndBadSettingsAreRefused(@TempDir Path dir) throws Exception {
    Path onnx = ModelStore.standard(Progress.SILENT).fetch(EmbeddingsRuntimeTest.BGE);
    try (LoadedModel reranker =
        new RerankerRuntime().load(new ModelSource("r", "1", onnx, Map.of("mode", "bi-encoder")))) {
      assertThatThrownBy(() -> scores(reranker, List.of("q"), List.of("a", "b")))
          .isInstanceOf(InvalidInputException.class);
      assertThatThrownBy(() -> scores(reranker, List.of("q"), List.of(" ")))
          .isInstanceOf(InvalidInputException.class);
    }
    assertThatThrownBy(
            () ->
                new RerankerRuntime()
                    .load(new ModelSource("r", "1", onnx, Map.of("mode", "poly-encoder"))))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("bi-encoder");
    // an embedding model is no cross-encoder: BGE has no logits output of one per pair
    try (LoadedModel notACrossEncoder =
        new RerankerRuntime().load(new ModelSource("r", "1", onnx, Map.of()))) {
      assertThatThrownBy(() -> scores(notACrossEncoder, List.of("q"), List.of("d")))
          .hasMessageContaining("one per pair");
    }
    CrossEncoderWriter.write(dir.resolve("model.onnx"), 100, 4, 1);
    assertThatThrownBy(() -> new RerankerRuntime().load(new ModelSource("r", "1", dir, Map.of())))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("tokenizer.json");
  }
}
