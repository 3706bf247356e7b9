package io.sluice.testkit;

import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A runtime for testing the server, never registered in a default configuration: its model returns
 * each input unchanged as an output of the same name, and faults are injected by magic values.
 *
 * <p>Settings:
 *
 * <ul>
 *   <li>{@code inputs}: the tensors, {@code name:DATATYPE:dim,dim;...} with -1 for any size
 *       (default {@code INPUT0:FP32:-1}).
 *   <li>{@code delayMs}: sleep this long in every inference (for drain and concurrency tests).
 *   <li>{@code failLoad}: when {@code true}, loading fails with that message.
 * </ul>
 *
 * A BYTES input element {@code test:fail} makes the inference throw an unexpected runtime
 * exception, and {@code test:reject} makes it reject its input, as a model that checks content
 * would, and {@code test:null-output} answers with a {@code null} tensor, so that the code encoding
 * the answer fails.
 */
public final class EchoRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "test-echo";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    if ("true".equals(source.settings().get("failLoad"))) {
      throw new ModelLoadException("injected load failure");
    }
    List<TensorMetadata> tensors = new ArrayList<>();
    for (String spec : source.settings().getOrDefault("inputs", "INPUT0:FP32:-1").split(";")) {
      String[] parts = spec.trim().split(":");
      if (parts.length != 3) {
        throw new ModelLoadException("inputs entry '" + spec + "' is not name:DATATYPE:dims");
      }
      DataType type =
          DataType.fromWireName(parts[1])
              .orElseThrow(() -> new ModelLoadException("bad datatype " + parts[1]));
      long[] shape =
          parts[2].isBlank()
              ? new long[0]
              : Arrays.stream(parts[2].split(",")).mapToLong(Long::parseLong).toArray();
      tensors.add(new TensorMetadata(parts[0], type, shape));
    }
    long delay = Long.parseLong(source.settings().getOrDefault("delayMs", "0"));
    ModelMetadata metadata =
        new ModelMetadata(
            source.name(), List.of(source.version()), "sluice_test_echo", tensors, tensors);
    return new EchoModel(metadata, delay);
  }

  private record EchoModel(ModelMetadata metadata, long delayMs) implements LoadedModel {
    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      for (Tensor input : inputs) {
        if (input.datatype() == DataType.BYTES) {
          for (byte[] element : input.bytesElements()) {
            String text = new String(element, StandardCharsets.UTF_8);
            if (text.equals("test:fail")) {
              throw new IllegalStateException("injected failure");
            }
            if (text.equals("test:reject")) {
              throw new InvalidInputException("injected rejection of the input's content");
            }
            if (text.equals("test:null-output")) {
              return java.util.Collections.singletonList(
                  null); // a broken runtime: the encoder must cope
            }
          }
        }
      }
      if (delayMs > 0) {
        try {
          Thread.sleep(delayMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InferenceFailedException("interrupted");
        }
      }
      List<Tensor> outputs = new ArrayList<>();
      for (String name : outputNames) {
        outputs.add(
            inputs.stream()
                .filter(t -> t.name().equals(name))
                .findFirst()
                .orElseThrow(
                    () -> new InferenceFailedException("no input to echo as '" + name + "'")));
      }
      return outputs;
    }

    @Override
    public void close() {}
  }
}
