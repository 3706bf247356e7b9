package io.sluice.runtime.llm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Tensor;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GGUF embedding through the llama runtime: pooled, normalised, the same alone or batched. */
class LlamaEmbeddingTest {
  @TempDir Path dir;

  private static float[][] embed(LoadedModel model, String... texts) {
    List<byte[]> inputs =
        java.util.Arrays.stream(texts).map(text -> text.getBytes(StandardCharsets.UTF_8)).toList();
    List<Tensor> outputs =
        model.infer(
            List.of(Tensor.ofBytes("text", new long[] {texts.length}, inputs)),
            List.of("embedding", "token_count"));
    assertThat(outputs.get(0).shape()).containsExactly(texts.length, 256);
    FloatBuffer values = outputs.get(0).data().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[][] vectors = new float[texts.length][256];
    for (float[] vector : vectors) {
      values.get(vector);
    }
    assertThat(outputs.get(1).data().order(ByteOrder.LITTLE_ENDIAN).getLong(0)).isPositive();
    return vectors;
  }

  @Test
  void textsArePooledNormalisedAndTheSameAloneOrBatched() throws Exception {
    Path file = dir.resolve("tiny.gguf");
    RandomModelWriter.writeTinyLlama(file, 256, 2);
    for (String pooling : List.of("mean", "last", "model")) {
      try (LoadedModel model =
          new LlamaRuntime()
              .load(
                  new ModelSource(
                      "e",
                      "1",
                      file,
                      Map.of(
                          "embedding",
                          "true",
                          "pooling",
                          pooling,
                          "parallel",
                          "4",
                          "threads",
                          "2")))) {
        assertThat(model.metadata().outputs().get(0).shape()).containsExactly(-1, 256);
        float[][] batched =
            embed(model, "the cat sat", "on the mat", "a dog ran fast", "the cat sat");
        float[][] alone = embed(model, "on the mat");
        for (float[] vector : batched) {
          double norm = 0;
          for (float value : vector) {
            norm += value * value;
          }
          assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(batched[0])
            .containsExactly(batched[3], org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(batched[1])
            .containsExactly(alone[0], org.assertj.core.data.Offset.offset(1e-4f));
        assertThat(batched[0]).isNotEqualTo(batched[1]);
      }
    }
  }
}
