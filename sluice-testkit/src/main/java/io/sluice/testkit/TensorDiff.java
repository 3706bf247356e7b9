package io.sluice.testkit;

import io.sluice.api.DataType;
import io.sluice.api.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Compares a tensor with an expected one, as ONNX's backend tests do (relative 1e-3, absolute
 * 1e-7).
 */
public final class TensorDiff {
  private TensorDiff() {}

  /**
   * Null when {@code actual} equals {@code expected} within the tolerance, else the first
   * difference.
   */
  public static String mismatch(Tensor expected, Tensor actual) {
    if (expected.datatype() != actual.datatype()) {
      return "datatype " + actual.datatype() + " != expected " + expected.datatype();
    }
    if (!Arrays.equals(expected.shape(), actual.shape())) {
      return "shape "
          + Arrays.toString(actual.shape())
          + " != expected "
          + Arrays.toString(expected.shape());
    }
    ByteBuffer e = expected.data();
    ByteBuffer a = actual.data();
    if (e.remaining() != a.remaining()) {
      return "size " + a.remaining() + " != expected " + e.remaining();
    }
    DataType type = expected.datatype();
    for (long i = 0; i < expected.elementCount(); i++) {
      double x;
      double y;
      switch (type) {
        case FP32 -> {
          x = e.getFloat();
          y = a.getFloat();
        }
        case FP64 -> {
          x = e.getDouble();
          y = a.getDouble();
        }
        case FP16 -> {
          x = Float.float16ToFloat(e.getShort());
          y = Float.float16ToFloat(a.getShort());
        }
        case BF16 -> {
          x = Float.intBitsToFloat((e.getShort() & 0xFFFF) << 16);
          y = Float.intBitsToFloat((a.getShort() & 0xFFFF) << 16);
        }
        default -> {
          return expected.data().equals(actual.data()) ? null : "element bytes differ";
        }
      }
      boolean same =
          (Double.isNaN(x) && Double.isNaN(y))
              || x == y
              || Math.abs(x - y) <= 1e-7 + 1e-3 * Math.abs(x);
      if (!same) {
        return "element " + i + " is " + y + ", expected " + x;
      }
    }
    return null;
  }
}
