package io.sluice.storage.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * A static file server on loopback (HTTPS when given an SSL context) that does what model hosts do:
 * strong ETags, {@code If-None-Match} (304), {@code Range} with {@code If-Range} (206), HEAD. It
 * can cut the next response short to play a broken connection, and records every request.
 */
public final class LocalFileServer implements AutoCloseable {
  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

  /** One request as the server saw it. */
  public record Seen(String method, String path, String range) {}

  private final HttpServer server;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger cutNext = new AtomicInteger(-1);

  public LocalFileServer(SSLContext ssl) throws IOException {
    InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
    if (ssl != null) {
      HttpsServer https = HttpsServer.create(loopback, 0);
      https.setHttpsConfigurator(new HttpsConfigurator(ssl));
      server = https;
    } else {
      server = HttpServer.create(loopback, 0);
    }
    server.createContext("/", this::handle);
    server.start();
  }

  public void put(String path, byte[] content) {
    files.put(path, content);
  }

  /**
   * The next GET sends the headers of the whole answer but only {@code bytes} of its body, then
   * closes.
   */
  public void cutNextResponseAfter(int bytes) {
    cutNext.set(bytes);
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  public URI uri(String path) {
    String scheme = server instanceof HttpsServer ? "https" : "http";
    return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  public static String etag(byte[] content) {
    try {
      return "\""
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content))
          + "\"";
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String range = exchange.getRequestHeaders().getFirst("Range");
      seen.add(new Seen(exchange.getRequestMethod(), path, range));
      byte[] body = files.get(path);
      if (body == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      String etag = etag(body);
      exchange.getResponseHeaders().set("ETag", etag);
      exchange.getResponseHeaders().set("Accept-Ranges", "bytes");
      if (etag.equals(exchange.getRequestHeaders().getFirst("If-None-Match"))) {
        exchange.sendResponseHeaders(304, -1);
        return;
      }
      if (exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().set("Content-Length", Long.toString(body.length));
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      int start = 0;
      String ifRange = exchange.getRequestHeaders().getFirst("If-Range");
      Matcher matcher = range == null ? null : RANGE.matcher(range);
      if (matcher != null && matcher.matches() && (ifRange == null || ifRange.equals(etag))) {
        start = Integer.parseInt(matcher.group(1));
        if (start >= body.length) {
          exchange.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
          exchange.sendResponseHeaders(416, -1);
          return;
        }
        exchange
            .getResponseHeaders()
            .set("Content-Range", "bytes " + start + "-" + (body.length - 1) + "/" + body.length);
        exchange.sendResponseHeaders(206, body.length - start);
      } else {
        exchange.sendResponseHeaders(200, body.length);
      }
      int cut = cutNext.getAndSet(-1);
      OutputStream out = exchange.getResponseBody();
      int end = cut >= 0 ? Math.min(body.length, start + cut) : body.length;
      out.write(body, start, end - start);
      out.flush();
      if (cut >= 0) {
        throw new IOException(
            "cut short on purpose"); // the JDK server then closes the connection mid-body
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
