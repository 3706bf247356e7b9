package io.sluice.transformers;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.transform.StepSource;
import io.sluice.spi.transform.Transformer;
import io.sluice.spi.transform.TransformerFactory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Texts in a BYTES input → the token inputs of a Hugging Face export ({@code input_ids}, {@code
 * attention_mask}, and {@code token_type_ids} when the model has it), with a {@code
 * tokenizer.json}, every row padded with zeros to the longest and truncated to {@code maxLength}.
 *
 * <p>Settings: {@code input} (default {@code text}), {@code tokenizer} (default {@code
 * tokenizer.json} next to the model), {@code maxLength} (default 512). The model's token inputs may
 * be INT64 or INT32.
 */
public final class TokenizeStep implements TransformerFactory {
  private static final List<String> TOKEN_INPUTS =
      List.of("input_ids", "attention_mask", "token_type_ids");

  @Override
  public String name() {
    return "tokenize";
  }

  @Override
  public Transformer create(StepSource source, ModelMetadata wrapped) throws ModelLoadException {
    Path file =
        source.file("tokenizer") == null
            ? tokenizerNextTo(source.modelLocation())
            : source.file("tokenizer");
    int maxLength = source.intSetting("maxLength", 512, 1);
    List<TensorMetadata> fed = new ArrayList<>();
    for (String name : TOKEN_INPUTS) {
      wrapped.inputs().stream()
          .filter(input -> input.name().equals(name))
          .findFirst()
          .ifPresent(fed::add);
    }
    if (fed.stream().noneMatch(input -> input.name().equals("input_ids"))) {
      throw new ModelLoadException(
          "the tokenize step feeds 'input_ids'; the model's inputs are "
              + wrapped.inputs().stream().map(TensorMetadata::name).toList());
    }
    for (TensorMetadata input : fed) {
      if (input.datatype() != DataType.INT64 && input.datatype() != DataType.INT32) {
        throw new ModelLoadException(
            "model input '"
                + input.name()
                + "' is "
                + input.datatype()
                + "; the tokenize step"
                + " makes INT64 or INT32");
      }
    }
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer =
          HuggingFaceTokenizer.newInstance(
              file,
              Map.of(
                  "truncation",
                  "true",
                  "maxLength",
                  Integer.toString(maxLength),
                  "padding",
                  "false"));
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
    }
    return new Tokens(tokenizer, source.setting("input", "text"), fed, wrapped);
  }

  private static Path tokenizerNextTo(Path model) throws ModelLoadException {
    Path directory = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
    Path file = directory.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException(
          "the tokenize step needs a tokenizer.json next to the model or a 'tokenizer' setting");
    }
    return file;
  }

  private static final class Tokens implements Transformer {
    private final HuggingFaceTokenizer tokenizer;
    private final String input;
    private final List<TensorMetadata> fed;
    private final List<String> fedNames;
    private final ModelMetadata metadata;

    Tokens(
        HuggingFaceTokenizer tokenizer,
        String input,
        List<TensorMetadata> fed,
        ModelMetadata wrapped) {
      this.tokenizer = tokenizer;
      this.input = input;
      this.fed = fed;
      this.fedNames = fed.stream().map(TensorMetadata::name).toList();
      this.metadata = Tensors.bytesInputInstead(wrapped, fedNames, input);
    }

    @Override
    public ModelMetadata metadata() {
      return metadata;
    }

    @Override
    public List<Tensor> preprocess(List<Tensor> inputs) {
      List<byte[]> texts = Tensors.named(inputs, input).bytesElements();
      String[] strings = new String[texts.size()];
      for (int i = 0; i < strings.length; i++) {
        strings[i] = new String(texts.get(i), StandardCharsets.UTF_8);
      }
      Encoding[] encodings = tokenizer.batchEncode(strings);
      int longest = 1;
      for (Encoding encoding : encodings) {
        longest = Math.max(longest, encoding.getIds().length);
      }
      List<Tensor> made = new ArrayList<>();
      for (TensorMetadata target : fed) {
        boolean wide = target.datatype() == DataType.INT64;
        ByteBuffer data =
            ByteBuffer.allocate(encodings.length * longest * (wide ? 8 : 4))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (Encoding encoding : encodings) {
          long[] row =
              switch (target.name()) {
                case "input_ids" -> encoding.getIds();
                case "attention_mask" -> encoding.getAttentionMask();
                default -> encoding.getTypeIds();
              };
          for (int t = 0; t < longest; t++) {
            long value = t < row.length ? row[t] : 0;
            if (wide) {
              data.putLong(value);
            } else {
              data.putInt((int) value);
            }
          }
        }
        made.add(
            Tensor.of(
                target.name(),
                target.datatype(),
                new long[] {encodings.length, longest},
                data.flip()));
      }
      return Tensors.replace(inputs, List.of(input), made);
    }

    @Override
    public List<Tensor> postprocess(List<Tensor> inputs, List<Tensor> outputs) {
      return outputs;
    }

    @Override
    public void close() {
      tokenizer.close();
    }
  }
}
