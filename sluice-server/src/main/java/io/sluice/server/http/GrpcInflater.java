package io.sluice.server.http;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Inflates the gzip-compressed messages of a gRPC request body before vertx-grpc reads them,
 * holding each to the message size limit as it inflates. vertx-grpc 5.0.7 checks the limit against
 * the compressed length and then inflates without bound: 200 KB of gzip made it allocate about a
 * gigabyte. Messages come out re-framed as uncompressed ones; a partial message waits for the rest
 * of it.
 */
final class GrpcInflater {
  /** A message too large for the limit, compressed or once inflated. */
  static final class MessageTooLargeException extends RuntimeException {
    MessageTooLargeException(String message) {
      super(message);
    }
  }

  private static final int PREFIX = 5;

  private final long maxMessageSize;
  private Buffer pending = Buffer.buffer();

  GrpcInflater(long maxMessageSize) {
    this.maxMessageSize = maxMessageSize;
  }

  /**
   * The whole messages {@code data} completes, uncompressed and framed again; empty while one is
   * partial.
   */
  Buffer accept(Buffer data) {
    pending.appendBuffer(data);
    Buffer out = Buffer.buffer();
    int at = 0;
    while (pending.length() - at >= PREFIX) {
      boolean compressed = pending.getByte(at) != 0;
      long length = pending.getUnsignedInt(at + 1);
      if (length > maxMessageSize) {
        throw new MessageTooLargeException(
            "a request message of "
                + length
                + " bytes is larger than the limit of "
                + maxMessageSize
                + " (server.maxRequestBody)");
      }
      if (pending.length() - at < PREFIX + length) {
        break;
      }
      int start = at + PREFIX;
      int end = start + (int) length;
      if (compressed) {
        byte[] inflated = inflate(pending.getBytes(start, end));
        out.appendByte((byte) 0).appendInt(inflated.length).appendBytes(inflated);
      } else {
        out.appendBuffer(pending, at, end - at);
      }
      at = end;
    }
    if (at > 0) {
      pending = pending.getBuffer(at, pending.length());
    }
    return out;
  }

  private byte[] inflate(byte[] compressed) {
    ByteArrayOutputStream inflated = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      for (int n; (n = in.read(chunk)) > 0; ) {
        if (inflated.size() + (long) n > maxMessageSize) {
          throw new MessageTooLargeException(
              "a gzip request message inflates past the limit of "
                  + maxMessageSize
                  + " bytes (server.maxRequestBody)");
        }
        inflated.write(chunk, 0, n);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "a gzip request message does not inflate: " + e.getMessage(), e);
    }
    return inflated.toByteArray();
  }
}
