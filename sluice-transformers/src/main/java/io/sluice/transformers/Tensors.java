package io.sluice.transformers;

import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.ModelLoadException;
import java.util.ArrayList;
import java.util.List;

/** Finding and replacing tensors and tensor descriptions by name. */
final class Tensors {
  private Tensors() {}

  static Tensor named(List<Tensor> tensors, String name) {
    for (Tensor tensor : tensors) {
      if (tensor.name().equals(name)) {
        return tensor;
      }
    }
    throw new InvalidInputException("missing input '" + name + "'");
  }

  /** {@code tensors} without those named in {@code names}, then {@code added}. */
  static List<Tensor> replace(List<Tensor> tensors, List<String> names, List<Tensor> added) {
    List<Tensor> result = new ArrayList<>(added);
    for (Tensor tensor : tensors) {
      if (!names.contains(tensor.name())) {
        result.add(tensor);
      }
    }
    return result;
  }

  static TensorMetadata described(List<TensorMetadata> described, String name, String what)
      throws ModelLoadException {
    for (TensorMetadata metadata : described) {
      if (metadata.name().equals(name)) {
        return metadata;
      }
    }
    throw new ModelLoadException(
        "the model has no "
            + what
            + " named '"
            + name
            + "'; it has "
            + described.stream().map(TensorMetadata::name).toList());
  }

  /**
   * The metadata of a step that takes a batch of BYTES elements as input {@code input} in place of
   * the wrapped model's inputs named {@code replaced}; everything else as the wrapped model has it.
   */
  static ModelMetadata bytesInputInstead(
      ModelMetadata wrapped, List<String> replaced, String input) {
    return new ModelMetadata(
        wrapped.name(),
        wrapped.versions(),
        wrapped.platform(),
        replaceDescribed(
            wrapped.inputs(),
            replaced,
            List.of(new TensorMetadata(input, DataType.BYTES, new long[] {-1}))),
        wrapped.outputs());
  }

  /** {@code described} without those named in {@code names}, with {@code added} first. */
  static List<TensorMetadata> replaceDescribed(
      List<TensorMetadata> described, List<String> names, List<TensorMetadata> added) {
    List<TensorMetadata> result = new ArrayList<>(added);
    for (TensorMetadata metadata : described) {
      if (!names.contains(metadata.name())) {
        result.add(metadata);
      }
    }
    return result;
  }
}
