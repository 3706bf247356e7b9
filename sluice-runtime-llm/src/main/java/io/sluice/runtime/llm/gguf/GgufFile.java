package io.sluice.runtime.llm.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF v3 file being assembled: metadata key/values, then tensors whose rows are produced on
 * demand while the file is written, so a model larger than the heap can be written. Layout per the
 * GGUF spec: header, metadata, tensor infos, padding to {@code general.alignment}, tensor data
 * (each tensor aligned).
 */
public final class GgufFile {
  private static final int ALIGNMENT = 32;
  private static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7, STRING = 8, ARRAY = 9;

  /** Produces the values of row {@code index} of a tensor into {@code row}. */
  @FunctionalInterface
  public interface RowSource {
    void fill(long index, float[] row);
  }

  private record TensorEntry(String name, long[] dims, GgmlType type, RowSource rows) {
    long rowCount() {
      long count = 1;
      for (int i = 1; i < dims.length; i++) {
        count *= dims[i];
      }
      return count;
    }

    long bytes() {
      return type.rowBytes(dims[0]) * rowCount();
    }
  }

  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private final List<TensorEntry> tensors = new ArrayList<>();

  public GgufFile() {
    metadata.put("general.alignment", new UInt32(ALIGNMENT));
  }

  /** A uint32 metadata value (GGUF distinguishes it from int32). */
  public record UInt32(int value) {}

  /** An int32 array metadata value. */
  public record Int32Array(int[] values) {}

  /**
   * Sets a metadata value: a String, {@link UInt32}, Float, Boolean, {@link Int32Array}, float[] or
   * List of String.
   */
  public GgufFile put(String key, Object value) {
    metadata.put(key, value);
    return this;
  }

  /**
   * Adds a tensor. {@code dims} are in ggml order: {@code dims[0]} is the row length (contiguous
   * values), and rows are numbered across the remaining dimensions.
   */
  public GgufFile tensor(String name, GgmlType type, RowSource rows, long... dims) {
    tensors.add(new TensorEntry(name, dims.clone(), type, rows));
    return this;
  }

  public void write(Path file) throws IOException {
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      Buffer header = new Buffer(channel);
      header
          .bytes("GGUF".getBytes(StandardCharsets.US_ASCII))
          .int32(3)
          .int64(tensors.size())
          .int64(metadata.size());
      for (Map.Entry<String, Object> entry : metadata.entrySet()) {
        header.string(entry.getKey());
        value(header, entry.getValue(), true);
      }
      long offset = 0;
      for (TensorEntry tensor : tensors) {
        header.string(tensor.name()).int32(tensor.dims().length);
        for (long dim : tensor.dims()) {
          header.int64(dim);
        }
        header.int32(tensor.type().id).int64(offset);
        offset += align(tensor.bytes());
      }
      header.padTo(ALIGNMENT);
      for (TensorEntry tensor : tensors) {
        float[] row = new float[Math.toIntExact(tensor.dims()[0])];
        long rows = tensor.rowCount();
        long start = header.written();
        for (long index = 0; index < rows; index++) {
          tensor.rows().fill(index, row);
          header.ensure(tensor.type().rowBytes(row.length));
          tensor.type().encodeRow(row, header.buffer);
        }
        header.padTo(ALIGNMENT, start);
      }
      header.flush();
    }
  }

  private static void value(Buffer out, Object value, boolean withType) {
    switch (value) {
      case String text -> {
        typed(out, STRING, withType);
        out.string(text);
      }
      case UInt32 number -> {
        typed(out, UINT32, withType);
        out.int32(number.value());
      }
      case Integer number -> {
        typed(out, INT32, withType);
        out.int32(number);
      }
      case Float number -> {
        typed(out, FLOAT32, withType);
        out.float32(number);
      }
      case Boolean flag -> {
        typed(out, BOOL, withType);
        out.ensure(1);
        out.buffer.put((byte) (flag ? 1 : 0));
      }
      case Int32Array array -> {
        typed(out, ARRAY, withType);
        out.int32(INT32).int64(array.values().length);
        for (int element : array.values()) {
          out.int32(element);
        }
      }
      case float[] array -> {
        typed(out, ARRAY, withType);
        out.int32(FLOAT32).int64(array.length);
        for (float element : array) {
          out.float32(element);
        }
      }
      case List<?> list -> {
        typed(out, ARRAY, withType);
        out.int32(STRING).int64(list.size());
        for (Object element : list) {
          out.string((String) element);
        }
      }
      default -> throw new IllegalArgumentException("no GGUF type for " + value.getClass());
    }
  }

  private static void typed(Buffer out, int type, boolean withType) {
    if (withType) {
      out.int32(type);
    }
  }

  private static long align(long bytes) {
    return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  /** A little-endian write buffer that spills to the channel as it fills. */
  private static final class Buffer {
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(8 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private long flushed;

    Buffer(FileChannel channel) {
      this.channel = channel;
    }

    long written() {
      return flushed + buffer.position();
    }

    void ensure(long bytes) {
      if (buffer.remaining() < bytes) {
        flush();
      }
      if (buffer.remaining() < bytes) {
        throw new IllegalStateException("a single write of " + bytes + " bytes exceeds the buffer");
      }
    }

    void flush() {
      buffer.flip();
      try {
        while (buffer.hasRemaining()) {
          flushed += channel.write(buffer);
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      buffer.clear();
    }

    Buffer bytes(byte[] bytes) {
      ensure(bytes.length);
      buffer.put(bytes);
      return this;
    }

    Buffer int32(int value) {
      ensure(4);
      buffer.putInt(value);
      return this;
    }

    Buffer int64(long value) {
      ensure(8);
      buffer.putLong(value);
      return this;
    }

    Buffer float32(float value) {
      ensure(4);
      buffer.putFloat(value);
      return this;
    }

    Buffer string(String text) {
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      return int64(utf8.length).bytes(utf8);
    }

    void padTo(int alignment) {
      padTo(alignment, 0);
    }

    void padTo(int alignment, long from) {
      while ((written() - from) % alignment != 0) {
        ensure(1);
        buffer.put((byte) 0);
      }
    }
  }
}
