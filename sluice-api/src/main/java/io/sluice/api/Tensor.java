package io.sluice.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A named tensor: datatype, shape and its elements as little-endian, row-major bytes.
 *
 * <p>One representation serves every protocol: it is exactly the binary tensor data extension's
 * layout (and gRPC's {@code raw_*_contents}), so binary requests are passed through without
 * conversion. BYTES elements are each a 4-byte little-endian length followed by that many bytes.
 *
 * <p>The data buffer is read-only from the moment the tensor exists; whoever built it hands
 * ownership to the tensor. Use {@link #data()} to get an independent view positioned at the start.
 */
public final class Tensor {
  private final String name;
  private final DataType datatype;
  private final long[] shape;
  private final ByteBuffer data;

  private Tensor(String name, DataType datatype, long[] shape, ByteBuffer data) {
    this.name = Objects.requireNonNull(name, "name");
    this.datatype = Objects.requireNonNull(datatype, "datatype");
    this.shape = shape.clone();
    this.data =
        data.slice()
            .order(ByteOrder.LITTLE_ENDIAN)
            .asReadOnlyBuffer()
            .order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Creates a tensor after checking that the bytes hold exactly the elements the shape promises.
   *
   * @throws InvalidInputException when shape and data disagree
   */
  public static Tensor of(String name, DataType datatype, long[] shape, ByteBuffer data) {
    long count = elementCount(name, shape);
    if (datatype.isFixedSize()) {
      long expected = byteSize(name, shape, count, datatype);
      if (data.remaining() != expected) {
        throw new InvalidInputException(
            "tensor '"
                + name
                + "' of shape "
                + Arrays.toString(shape)
                + " and datatype "
                + datatype
                + " needs "
                + expected
                + " bytes of data, got "
                + data.remaining());
      }
    } else {
      long found = countBytesElements(name, data);
      if (found != count) {
        throw new InvalidInputException(
            "tensor '"
                + name
                + "' of shape "
                + Arrays.toString(shape)
                + " needs "
                + count
                + " BYTES elements, got "
                + found);
      }
    }
    return new Tensor(name, datatype, shape, data);
  }

  /** Builds a BYTES tensor from its elements. */
  public static Tensor ofBytes(String name, long[] shape, List<byte[]> elements) {
    int total = 0;
    for (byte[] element : elements) {
      total += 4 + element.length;
    }
    ByteBuffer buffer = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] element : elements) {
      buffer.putInt(element.length).put(element);
    }
    return of(name, DataType.BYTES, shape, buffer.flip());
  }

  /** The same data under another name (outputs renamed, inputs echoed). */
  public Tensor withName(String newName) {
    return new Tensor(newName, datatype, shape, data);
  }

  public String name() {
    return name;
  }

  public DataType datatype() {
    return datatype;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** A fresh read-only little-endian view of all the bytes, positioned at 0. */
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  public int byteSize() {
    return data.remaining();
  }

  public long elementCount() {
    return elementCount(name, shape);
  }

  /** The elements of a BYTES tensor. */
  public List<byte[]> bytesElements() {
    if (datatype != DataType.BYTES) {
      throw new IllegalStateException("tensor '" + name + "' is " + datatype + ", not BYTES");
    }
    ByteBuffer view = data();
    List<byte[]> elements = new ArrayList<>();
    while (view.hasRemaining()) {
      byte[] element = new byte[view.getInt()];
      view.get(element);
      elements.add(element);
    }
    return elements;
  }

  /** Product of the dimensions; every dimension must be non-negative. */
  public static long elementCount(String name, long[] shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        throw new InvalidInputException(
            "tensor '" + name + "' has a negative dimension in shape " + Arrays.toString(shape));
      }
      try {
        count = Math.multiplyExact(count, dim);
      } catch (ArithmeticException e) {
        throw new InvalidInputException(
            "tensor '"
                + name
                + "' has shape "
                + Arrays.toString(shape)
                + ", whose element count overflows 64 bits");
      }
    }
    return count;
  }

  private static long byteSize(String name, long[] shape, long count, DataType datatype) {
    try {
      return Math.multiplyExact(count, datatype.elementSize());
    } catch (ArithmeticException e) {
      throw new InvalidInputException(
          "tensor '"
              + name
              + "' of shape "
              + Arrays.toString(shape)
              + " and datatype "
              + datatype
              + " is larger than 2^63 bytes");
    }
  }

  private static long countBytesElements(String name, ByteBuffer data) {
    ByteBuffer view = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long count = 0;
    while (view.hasRemaining()) {
      if (view.remaining() < 4) {
        throw new InvalidInputException(
            "BYTES tensor '" + name + "' ends inside an element's 4-byte length prefix");
      }
      int length = view.getInt();
      if (length < 0 || length > view.remaining()) {
        throw new InvalidInputException(
            "BYTES tensor '"
                + name
                + "' has an element of length "
                + Integer.toUnsignedString(length)
                + " but only "
                + view.remaining()
                + " bytes remain");
      }
      view.position(view.position() + length);
      count++;
    }
    return count;
  }

  @Override
  public String toString() {
    return "Tensor["
        + name
        + ", "
        + datatype
        + ", "
        + Arrays.toString(shape)
        + ", "
        + data.remaining()
        + " bytes]";
  }
}
