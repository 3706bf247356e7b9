package io.sluice.api;

import java.util.Optional;

/**
 * The fourteen tensor element types of the Open Inference Protocol, with their wire names and
 * sizes.
 */
public enum DataType {
  BOOL(1),
  UINT8(1),
  UINT16(2),
  UINT32(4),
  UINT64(8),
  INT8(1),
  INT16(2),
  INT32(4),
  INT64(8),
  FP16(2),
  FP32(4),
  FP64(8),
  BF16(2),
  /** Variable-size elements; serialised as a 4-byte little-endian length followed by the bytes. */
  BYTES(-1);

  private static final DataType[] ALL = values(); // values() copies its array on every call

  private final int elementSize;

  DataType(int elementSize) {
    this.elementSize = elementSize;
  }

  /** Bytes per element, or -1 for {@link #BYTES}. */
  public int elementSize() {
    return elementSize;
  }

  public boolean isFixedSize() {
    return elementSize > 0;
  }

  /** FP16, FP32, FP64 and BF16. */
  public boolean isFloatingPoint() {
    return this == FP16 || this == FP32 || this == FP64 || this == BF16;
  }

  /** Looks a wire name up exactly (names are case-sensitive in the protocol). */
  public static Optional<DataType> fromWireName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    for (DataType type : ALL) {
      if (type.name().equals(name)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }
}
