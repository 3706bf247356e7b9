package io.sluice.http;

import io.vertx.core.buffer.Buffer;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Appends to a Vert.x {@link Buffer}, so that an encoder (a JSON generator) writes straight into
 * the body a response sends, with no builder or copy between them.
 */
public final class BufferOutputStream extends OutputStream {
  private final Buffer buffer;

  public BufferOutputStream(int initialSize) {
    this.buffer = Buffer.buffer(initialSize);
  }

  @Override
  public void write(int b) {
    buffer.appendByte((byte) b);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) {
    buffer.appendBytes(bytes, offset, length);
  }

  /** Appends {@code data}'s remaining bytes, consuming them. */
  public void write(ByteBuffer data) {
    if (data.hasArray()) {
      buffer.appendBytes(data.array(), data.arrayOffset() + data.position(), data.remaining());
      data.position(data.limit());
    } else {
      byte[] chunk = new byte[data.remaining()];
      data.get(chunk);
      buffer.appendBytes(chunk);
    }
  }

  public int size() {
    return buffer.length();
  }

  /** What was written: the buffer itself, not a copy. */
  public Buffer buffer() {
    return buffer;
  }
}
