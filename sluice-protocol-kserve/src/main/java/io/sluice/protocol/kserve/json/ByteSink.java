package io.sluice.protocol.kserve.json;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** A growable little-endian byte array for building tensor data element by element. */
public final class ByteSink {
  private byte[] bytes;
  private int size;

  public ByteSink(int initialCapacity) {
    bytes = new byte[Math.max(16, initialCapacity)];
  }

  private void ensure(int extra) {
    if (size + extra > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + extra));
    }
  }

  public void put1(int value) {
    ensure(1);
    bytes[size++] = (byte) value;
  }

  public void put2(int value) {
    ensure(2);
    bytes[size++] = (byte) value;
    bytes[size++] = (byte) (value >>> 8);
  }

  public void put4(int value) {
    ensure(4);
    bytes[size++] = (byte) value;
    bytes[size++] = (byte) (value >>> 8);
    bytes[size++] = (byte) (value >>> 16);
    bytes[size++] = (byte) (value >>> 24);
  }

  public void put8(long value) {
    put4((int) value);
    put4((int) (value >>> 32));
  }

  public void put(byte[] source) {
    ensure(source.length);
    System.arraycopy(source, 0, bytes, size, source.length);
    size += source.length;
  }

  public int size() {
    return size;
  }

  /**
   * The bytes written so far; the sink must not be used afterwards (ownership passes to the
   * buffer).
   */
  public ByteBuffer toBuffer() {
    return ByteBuffer.wrap(bytes, 0, size).slice().order(ByteOrder.LITTLE_ENDIAN);
  }
}
