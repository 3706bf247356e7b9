package io.sluice.runtime.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The bi-encoder reranker on BGE-small: relevance BGE finds obvious, and cosines equal the embeddings'. */
@Tag("slow")
class RerankerRuntimeTest {
  private static float[] scores(LoadedModel model, List<String> queries, List<String> documents) {
    List<Tensor> outputs = model.infer(List.of(bytes("query", queries), bytes("document", documents)), List.of("score"));
    FloatBuffer values = outputs.getFirst().data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] scores = new float[values.remaining()];
    values.get(scores);
    return scores;
  }

  private static Tensor bytes(String name, List<String> texts) {
    return Tensor.ofBytes(name, new long[] {texts.size()}, texts.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList());
  }

  @Test
  void aQueryAboutCatsRanksTheKittenAboveTaxes() throws Exception {
    Path onnx = ModelStore.standard(Progress.SILENT).fetchMaven(EmbeddingsRuntimeTest.BGE);
    try (LoadedModel reranker = new RerankerRuntime().load(new ModelSource("r", "1", onnx, Map.of("mode", "bi-encoder")));
        LoadedModel embeddings = new EmbeddingsRuntime().load(new ModelSource("e", "1", onnx, Map.of()))) {
      assertThat(reranker.metadata().outputs().getFirst().name()).isEqualTo("score");
      String query = "Where do cats like to sleep?";
      List<String> documents = List.of("The quarterly tax filing deadline moved to April.",
          "A kitten curled up asleep on the warm windowsill.", "Stock markets closed lower on Friday.");
      float[] scores = scores(reranker, List.of(query, query, query), documents);
      assertThat(scores[1]).isGreaterThan(scores[0]);
      assertThat(scores[1]).isGreaterThan(scores[2]);

      // the reranker embeds the distinct texts in one batch, in order of appearance: the same batch here
      Tensor vectors = embeddings.infer(List.of(bytes("text", List.of(query, documents.get(0), documents.get(1),
          documents.get(2)))), List.of("embedding")).getFirst();
      FloatBuffer values = vectors.data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
      int width = (int) vectors.shape()[1];
      float cosine = 0;
      for (int d = 0; d < width; d++) {
        cosine += values.get(d) * values.get(2 * width + d);
      }
      assertThat(scores[1]).isCloseTo(cosine, Offset.offset(1e-5f));
      float[] alone = scores(reranker, List.of(query), List.of(documents.get(1)));
      // int8 dynamic quantization scales by the whole batch: the same pair scores a little differently in another batch
      assertThat(alone[0]).isCloseTo(scores[1], Offset.offset(0.02f));
    }
  }

  @Test
  void mismatchedRowsAndCrossEncodersAreRefused() throws Exception {
    Path onnx = ModelStore.standard(Progress.SILENT).fetchMaven(EmbeddingsRuntimeTest.BGE);
    try (LoadedModel reranker = new RerankerRuntime().load(new ModelSource("r", "1", onnx, Map.of("mode", "bi-encoder")))) {
      assertThatThrownBy(() -> scores(reranker, List.of("q"), List.of("a", "b"))).isInstanceOf(InvalidInputException.class);
      assertThatThrownBy(() -> scores(reranker, List.of("q"), List.of(" "))).isInstanceOf(InvalidInputException.class);
    }
    assertThatThrownBy(() -> new RerankerRuntime().load(new ModelSource("r", "1", onnx, Map.of())))
        .isInstanceOf(ModelLoadException.class).hasMessageContaining("bi-encoder");
  }
}
