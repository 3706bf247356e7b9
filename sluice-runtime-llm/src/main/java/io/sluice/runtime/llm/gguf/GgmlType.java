package io.sluice.runtime.llm.gguf;

import java.nio.ByteBuffer;

/** The tensor encodings this writer produces, with ggml's type ids. */
public enum GgmlType {
  /** 32-bit floats. */
  F32(0) {
    @Override
    long rowBytes(long elements) {
      return elements * 4;
    }

    @Override
    void encodeRow(float[] row, ByteBuffer out) {
      for (float value : row) {
        out.putFloat(value);
      }
    }
  },
  /** Blocks of 32 values: one FP16 scale, then 32 signed bytes (value = scale x byte). */
  Q8_0(8) {
    private static final int BLOCK = 32;

    @Override
    long rowBytes(long elements) {
      if (elements % BLOCK != 0) {
        throw new IllegalArgumentException(
            "Q8_0 rows hold a multiple of 32 values, not " + elements);
      }
      return elements / BLOCK * (2 + BLOCK);
    }

    @Override
    void encodeRow(float[] row, ByteBuffer out) {
      rowBytes(row.length);
      for (int start = 0; start < row.length; start += BLOCK) {
        float max = 0;
        for (int i = start; i < start + BLOCK; i++) {
          max = Math.max(max, Math.abs(row[i]));
        }
        float scale = max / 127f;
        short halfScale = Float.floatToFloat16(scale);
        out.putShort(halfScale);
        float inverse = scale == 0 ? 0 : 1f / scale;
        for (int i = start; i < start + BLOCK; i++) {
          out.put((byte) Math.round(row[i] * inverse));
        }
      }
    }
  };

  final int id;

  GgmlType(int id) {
    this.id = id;
  }

  /** Bytes of one row of {@code elements} values. */
  abstract long rowBytes(long elements);

  /** Appends one row, encoded, to {@code out}. */
  abstract void encodeRow(float[] row, ByteBuffer out);
}
