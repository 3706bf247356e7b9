package io.sluice.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * Name, datatype and shape of a model input or output; -1 marks a dimension of any size. An
 * optional input may be left out of a request (the runtime then uses its default).
 */
public record TensorMetadata(String name, DataType datatype, long[] shape, boolean optional) {
  public TensorMetadata {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(datatype, "datatype");
    shape = shape.clone();
  }

  public TensorMetadata(String name, DataType datatype, long[] shape) {
    this(name, datatype, shape, false);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Whether a concrete shape fits this one: same rank, equal dims except where this one says -1.
   */
  public boolean accepts(long[] concrete) {
    if (concrete.length != shape.length) {
      return false;
    }
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] >= 0 && shape[i] != concrete[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorMetadata other
        && name.equals(other.name)
        && datatype == other.datatype
        && Arrays.equals(shape, other.shape)
        && optional == other.optional;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, datatype, Arrays.hashCode(shape), optional);
  }

  @Override
  public String toString() {
    return name + ":" + datatype + Arrays.toString(shape) + (optional ? "?" : "");
  }
}
