package io.sluice.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 POST written by hand, so that it carries the {@code Host} a client elsewhere would
 * send (a cluster DNS name, say) while going to another address: the JDK's client will not set that
 * header.
 */
public final class RawHttp1 {
  /** The status code and body of an answer. */
  public record Answer(int status, String body) {}

  private RawHttp1() {}

  /**
   * POSTs {@code json} to {@code ip:port} with {@code Host: host}; connects within 5 s (a refusal
   * throws {@link java.net.ConnectException}) and waits up to 90 s for the whole answer.
   */
  public static Answer post(String ip, int port, String host, String path, String json)
      throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(ip, port), 5000);
      socket.setSoTimeout(90_000);
      byte[] body = json.getBytes(StandardCharsets.UTF_8);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST "
                  + path
                  + " HTTP/1.1\r\nHost: "
                  + host
                  + "\r\nContent-Type: application/json\r\nContent-Length: "
                  + body.length
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return new Answer(
          Integer.parseInt(response.substring(9, 12)),
          response.substring(response.indexOf("\r\n\r\n") + 4));
    }
  }
}
