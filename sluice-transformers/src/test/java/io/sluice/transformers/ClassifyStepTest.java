package io.sluice.transformers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.transform.StepSource;
import io.sluice.spi.transform.Transformer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classify step alone: logits of two rows in, their best labels and softmax scores out. */
class ClassifyStepTest {
  private static final ModelMetadata SCORER =
      new ModelMetadata(
          "scorer",
          List.of("1"),
          "test",
          List.of(new TensorMetadata("x", DataType.FP32, new long[] {-1, 2})),
          List.of(new TensorMetadata("logits", DataType.FP32, new long[] {-1, 3})));

  private static Tensor logits(float... values) {
    ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float value : values) {
      data.putFloat(value);
    }
    return Tensor.of("logits", DataType.FP32, new long[] {values.length / 3, 3}, data.flip());
  }

  @Test
  void eachRowGetsItsTopClassesBestFirstWithSoftmaxScores(@TempDir Path dir) throws Exception {
    Path model = Files.writeString(dir.resolve("model.onnx"), "");
    Files.writeString(dir.resolve("labels.txt"), "cat\ndog\n\nbird\n");
    Transformer step =
        new ClassifyStep()
            .create(new StepSource(model, Map.of("labels", "labels.txt", "topK", "2")), SCORER);
    assertThat(step.metadata().outputs())
        .extracting(TensorMetadata::name)
        .containsExactly("label", "score");

    List<Tensor> out = step.postprocess(List.of(), List.of(logits(0, 2, 1, 3, 0, 0)));
    Tensor labels = out.stream().filter(t -> t.name().equals("label")).findFirst().orElseThrow();
    Tensor scores = out.stream().filter(t -> t.name().equals("score")).findFirst().orElseThrow();
    assertThat(labels.shape()).containsExactly(2, 2);
    assertThat(labels.bytesElements())
        .extracting(bytes -> new String(bytes, StandardCharsets.UTF_8))
        .containsExactly("dog", "bird", "cat", "dog");
    ByteBuffer data = scores.data();
    double rowOne = Math.exp(0) + Math.exp(2) + Math.exp(1);
    double rowTwo = Math.exp(3) + 2;
    assertThat(data.getFloat())
        .isCloseTo((float) (Math.exp(2) / rowOne), org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(data.getFloat())
        .isCloseTo((float) (Math.exp(1) / rowOne), org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(data.getFloat())
        .isCloseTo((float) (Math.exp(3) / rowTwo), org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(data.getFloat())
        .isCloseTo((float) (1 / rowTwo), org.assertj.core.data.Offset.offset(1e-6f));
  }

  @Test
  void withoutLabelsOrSoftmaxTheIndexesAndRawScoresComeBack(@TempDir Path dir) throws Exception {
    Transformer step =
        new ClassifyStep().create(new StepSource(dir, Map.of("softmax", "false")), SCORER);
    List<Tensor> out = step.postprocess(List.of(), List.of(logits(0.5f, -1, 4)));
    assertThat(out.get(0).bytesElements())
        .extracting(bytes -> new String(bytes, StandardCharsets.UTF_8))
        .containsExactly("2");
    assertThat(out.get(1).data().getFloat()).isEqualTo(4f);
  }

  @Test
  void aLabelsFileThatDoesNotMatchTheClassesIsALoadError(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("labels.txt"), "cat\ndog\n");
    assertThatThrownBy(
            () ->
                new ClassifyStep()
                    .create(new StepSource(dir, Map.of("labels", "labels.txt")), SCORER))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("2 labels")
        .hasMessageContaining("3 classes");
    assertThatThrownBy(
            () -> new ClassifyStep().create(new StepSource(dir, Map.of("topK", "0")), SCORER))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("topK");
  }
}
