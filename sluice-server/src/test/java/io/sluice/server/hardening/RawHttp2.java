package io.sluice.server.hardening;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/2 client on a bare socket (prior knowledge, cleartext), frames written by hand: the test
 * decides when PINGs are sent and whether the server's are answered. SETTINGS are acknowledged as
 * they arrive.
 */
final class RawHttp2 implements Closeable {
  static final int DATA = 0;
  static final int HEADERS = 1;
  static final int SETTINGS = 4;
  static final int PING = 6;
  static final int GOAWAY = 7;
  private static final int END_STREAM = 0x1;
  private static final int ACK = 0x1;
  private static final int END_HEADERS = 0x4;

  record Frame(int type, int flags, int stream, byte[] payload) {
    boolean isAck() {
      return (flags & ACK) != 0;
    }

    boolean endsStream() {
      return (flags & END_STREAM) != 0;
    }

    /** GOAWAY's error code. */
    long errorCode() {
      return ByteBuffer.wrap(payload, 4, 4).getInt() & 0xFFFFFFFFL;
    }

    /** GOAWAY's debug data. */
    String debugData() {
      return new String(payload, 8, payload.length - 8, StandardCharsets.US_ASCII);
    }
  }

  private final io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder decoder =
      new io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder(false);
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;

  RawHttp2(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
    out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    frame(SETTINGS, 0, 0, new byte[0]);
  }

  synchronized void frame(int type, int flags, int stream, byte[] payload) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(9);
    header
        .put((byte) (payload.length >>> 16))
        .put((byte) (payload.length >>> 8))
        .put((byte) payload.length);
    header.put((byte) type).put((byte) flags).putInt(stream);
    out.write(header.array());
    out.write(payload);
    out.flush();
  }

  void ping(long data) throws IOException {
    frame(PING, 0, 0, ByteBuffer.allocate(8).putLong(data).array());
  }

  void pong(Frame ping) throws IOException {
    frame(PING, ACK, 0, ping.payload());
  }

  /**
   * A POST with a JSON body on {@code stream} (odd, increasing), with more header fields as name,
   * value pairs.
   */
  void post(int stream, String path, String json, String... extraFields) throws IOException {
    String[] fields = new String[2 + extraFields.length];
    fields[0] = "content-type";
    fields[1] = "application/json";
    System.arraycopy(extraFields, 0, fields, 2, extraFields.length);
    post(stream, path, json.getBytes(StandardCharsets.UTF_8), fields);
  }

  /**
   * A POST of {@code body} on {@code stream}, with the header fields given as name, value pairs.
   */
  void post(int stream, String path, byte[] body, String... fields) throws IOException {
    post(stream, path, body, 16_384, fields);
  }

  /**
   * A POST of {@code body} on {@code stream} in DATA frames of at most {@code frameBytes}, the last
   * one ending the stream.
   */
  void post(int stream, String path, byte[] body, int frameBytes, String... fields)
      throws IOException {
    postHeaders(stream, path, fields);
    for (int at = 0; at < body.length || at == 0; at += frameBytes) {
      int end = Math.min(body.length, at + frameBytes);
      frame(
          DATA,
          end == body.length ? END_STREAM : 0,
          stream,
          java.util.Arrays.copyOfRange(body, at, end));
      if (body.length == 0) {
        break;
      }
    }
  }

  /** The HEADERS of a POST on {@code stream}, its body still to come. */
  void postHeaders(int stream, String path, String... fields) throws IOException {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    String[] pseudo = {":method", "POST", ":scheme", "http", ":path", path, ":authority", "sluice"};
    for (String[] list : new String[][] {pseudo, fields}) {
      for (int i = 0; i < list.length; i += 2) {
        block.write(0); // HPACK: a literal header field without indexing, with a new name
        literal(block, list[i]);
        literal(block, list[i + 1]);
      }
    }
    frame(HEADERS, END_HEADERS, stream, block.toByteArray());
  }

  private static void literal(ByteArrayOutputStream block, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length >= 127) {
      throw new IllegalArgumentException("keep test header fields under 127 bytes");
    }
    block.write(bytes.length);
    block.writeBytes(bytes);
  }

  /**
   * A HEADERS frame's fields (HPACK keeps state: decode the connection's HEADERS frames in the
   * order they came).
   */
  io.netty.handler.codec.http2.Http2Headers headers(Frame frame) throws IOException {
    byte[] payload = frame.payload();
    int from = 0;
    int to = payload.length;
    if ((frame.flags() & 0x8) != 0) { // PADDED: a pad length first, the padding last
      to -= payload[0] & 0xFF;
      from = 1;
    }
    if ((frame.flags() & 0x20) != 0) { // PRIORITY: stream dependency and weight before the block
      from += 5;
    }
    try {
      return decoder.decodeHeaders(
          frame.stream(), io.netty.buffer.Unpooled.wrappedBuffer(payload, from, to - from));
    } catch (io.netty.handler.codec.http2.Http2Exception e) {
      throw new IOException(e);
    }
  }

  /**
   * The next frame other than SETTINGS (which is acknowledged), or null once the server closed the
   * connection.
   */
  Frame read() throws IOException {
    while (true) {
      Frame frame;
      try {
        int length =
            in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7FFFFFFF;
        byte[] payload = new byte[length];
        in.readFully(payload);
        frame = new Frame(type, flags, stream, payload);
      } catch (EOFException | SocketException closed) {
        return null;
      }
      if (frame.type() != SETTINGS) {
        return frame;
      }
      if (!frame.isAck()) {
        try {
          frame(SETTINGS, ACK, 0, new byte[0]);
        } catch (SocketException closed) {
          // The server already closed (a slow client reads its SETTINGS after the GOAWAY): what it
          // sent
          // before closing is still in the receive buffer, so reading goes on.
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
