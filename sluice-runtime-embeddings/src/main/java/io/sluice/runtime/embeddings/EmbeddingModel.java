package io.sluice.runtime.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * One encoder session and its tokenizer. All texts of a request run as one ONNX call, padded to the
 * longest.
 */
final class EmbeddingModel implements LoadedModel {
  static final String INPUT = "text";
  static final String EMBEDDING = "embedding";
  static final String TOKEN_COUNT = "token_count";

  private final OrtEnvironment environment;
  private final OrtSession session;
  private final HuggingFaceTokenizer tokenizer;
  private final boolean meanPooling;
  private final boolean normalize;
  private final int maxLength;
  private final int dimensions;
  private final boolean takesTokenTypes;
  private final String hiddenState;
  private final ModelMetadata metadata;

  EmbeddingModel(
      ModelSource source, OnnxTextModel text, String pooling, boolean normalize, int maxLength)
      throws OrtException, ModelLoadException {
    this.environment = text.environment();
    this.session = text.session();
    this.tokenizer = text.tokenizer();
    this.meanPooling = pooling.equals("mean");
    this.normalize = normalize;
    this.maxLength = maxLength;
    Map<String, NodeInfo> inputs = session.getInputInfo();
    if (!inputs.containsKey("input_ids") || !inputs.containsKey("attention_mask")) {
      throw new ModelLoadException(
          "an embedding model needs inputs input_ids and attention_mask; this one has "
              + inputs.keySet());
    }
    this.takesTokenTypes = inputs.containsKey("token_type_ids");
    NodeInfo output = session.getOutputInfo().values().iterator().next();
    long[] shape = ((TensorInfo) output.getInfo()).getShape();
    if (shape.length != 3 || shape[2] <= 0) {
      throw new ModelLoadException(
          "expected a [batch, tokens, hidden] first output, got "
              + output.getName()
              + java.util.Arrays.toString(shape));
    }
    this.hiddenState = output.getName();
    this.dimensions = (int) shape[2];
    this.metadata =
        new ModelMetadata(
            source.name(),
            List.of(source.version()),
            "embeddings_onnx",
            List.of(new TensorMetadata(INPUT, DataType.BYTES, new long[] {-1})),
            List.of(
                new TensorMetadata(EMBEDDING, DataType.FP32, new long[] {-1, dimensions}),
                new TensorMetadata(TOKEN_COUNT, DataType.INT64, new long[] {-1})));
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    List<byte[]> texts = inputs.get(0).bytesElements();
    if (texts.isEmpty()) {
      throw new InvalidInputException("there is no text to embed");
    }
    int count = texts.size();
    long[][] ids = new long[count][];
    long[][] types = new long[count][];
    for (int i = 0; i < count; i++) {
      String text = new String(texts.get(i), StandardCharsets.UTF_8);
      if (text.isBlank()) {
        throw new InvalidInputException(
            "text " + i + " is empty; every input needs some text to embed");
      }
      Encoding encoding = tokenizer.encode(text);
      ids[i] = truncate(encoding.getIds());
      types[i] = truncate(encoding.getTypeIds());
    }
    int longest = TokenFeeds.longest(ids);
    Map<String, OnnxTensor> feeds = Map.of();
    try {
      feeds = TokenFeeds.of(environment, ids, types, takesTokenTypes);
      try (OrtSession.Result result = session.run(feeds, java.util.Set.of(hiddenState))) {
        FloatBuffer hidden = ((OnnxTensor) result.get(hiddenState).orElseThrow()).getFloatBuffer();
        Map<String, Tensor> outputs =
            Map.of(EMBEDDING, pool(hidden, ids, count, longest), TOKEN_COUNT, tokenCounts(ids));
        return outputNames.stream().map(outputs::get).toList();
      }
    } catch (OrtException e) {
      throw new InferenceFailedException("ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private long[] truncate(long[] tokens) {
    return tokens.length <= maxLength ? tokens : java.util.Arrays.copyOf(tokens, maxLength);
  }

  private Tensor pool(FloatBuffer hidden, long[][] ids, int count, int longest) {
    ByteBuffer out = ByteBuffer.allocate(count * dimensions * 4).order(ByteOrder.LITTLE_ENDIAN);
    float[] vector = new float[dimensions];
    for (int i = 0; i < count; i++) {
      java.util.Arrays.fill(vector, 0);
      int tokens = meanPooling ? ids[i].length : 1;
      for (int t = 0; t < tokens; t++) {
        int base = (i * longest + t) * dimensions;
        for (int d = 0; d < dimensions; d++) {
          vector[d] += hidden.get(base + d);
        }
      }
      double norm = 0;
      for (int d = 0; d < dimensions; d++) {
        vector[d] /= tokens;
        norm += vector[d] * vector[d];
      }
      double scale = normalize && norm > 0 ? 1 / Math.sqrt(norm) : 1;
      for (int d = 0; d < dimensions; d++) {
        out.putFloat((float) (vector[d] * scale));
      }
    }
    return Tensor.of(EMBEDDING, DataType.FP32, new long[] {count, dimensions}, out.flip());
  }

  private static Tensor tokenCounts(long[][] ids) {
    ByteBuffer out = ByteBuffer.allocate(ids.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long[] tokens : ids) {
      out.putLong(tokens.length);
    }
    return Tensor.of(TOKEN_COUNT, DataType.INT64, new long[] {ids.length}, out.flip());
  }

  @Override
  public void close() {
    tokenizer.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing ONNX session failed: " + e.getMessage(), e);
    }
  }
}
