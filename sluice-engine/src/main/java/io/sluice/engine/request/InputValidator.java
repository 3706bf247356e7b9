package io.sluice.engine.request;

import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a request's inputs and requested outputs against the model's metadata before it reaches a
 * runtime.
 */
public final class InputValidator {
  private InputValidator() {}

  public static void validateInputs(ModelMetadata metadata, List<Tensor> inputs) {
    Set<String> seen = new HashSet<>();
    for (Tensor input : inputs) {
      if (!seen.add(input.name())) {
        throw new InvalidInputException("input '" + input.name() + "' is given more than once");
      }
      TensorMetadata expected = find(metadata.inputs(), input.name());
      if (expected == null) {
        throw new InvalidInputException(
            "model '"
                + metadata.name()
                + "' has no input named '"
                + input.name()
                + "'; its inputs are "
                + names(metadata.inputs()));
      }
      if (expected.datatype() != input.datatype()) {
        throw new InvalidInputException(
            "input '"
                + input.name()
                + "' must be "
                + expected.datatype()
                + ", got "
                + input.datatype());
      }
      if (!expected.accepts(input.shape())) {
        throw new InvalidInputException(
            "input '"
                + input.name()
                + "' has shape "
                + Arrays.toString(input.shape())
                + " but the model expects "
                + Arrays.toString(expected.shape())
                + " (-1 = any size)");
      }
    }
    for (TensorMetadata required : metadata.inputs()) {
      if (!required.optional() && !seen.contains(required.name())) {
        throw new InvalidInputException(
            "input '"
                + required.name()
                + "' is missing; model '"
                + metadata.name()
                + "' needs "
                + names(metadata.inputs()));
      }
    }
  }

  /** The output names to produce: all of the model's outputs when none were requested. */
  public static List<String> outputNames(ModelMetadata metadata, List<String> requested) {
    if (requested == null || requested.isEmpty()) {
      return names(metadata.outputs());
    }
    Set<String> seen = new HashSet<>();
    for (String name : requested) {
      if (find(metadata.outputs(), name) == null) {
        throw new InvalidInputException(
            "model '"
                + metadata.name()
                + "' has no output named '"
                + name
                + "'; its outputs are "
                + names(metadata.outputs()));
      }
      if (!seen.add(name)) {
        throw new InvalidInputException("output '" + name + "' is requested more than once");
      }
    }
    return requested;
  }

  private static TensorMetadata find(List<TensorMetadata> tensors, String name) {
    for (TensorMetadata tensor : tensors) {
      if (tensor.name().equals(name)) {
        return tensor;
      }
    }
    return null;
  }

  private static List<String> names(List<TensorMetadata> tensors) {
    List<String> names = new ArrayList<>(tensors.size());
    for (TensorMetadata tensor : tensors) {
      names.add(tensor.name());
    }
    return names;
  }
}
