package io.sluice.storage.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model hub on loopback that answers as the Hugging Face hub does: {@code
 * /api/models/{repo}/revision/{rev}} lists a commit and its files; {@code
 * /{repo}/resolve/{rev}/{path}} answers small files directly (ETag, {@code X-Repo-Commit}) and
 * large ("LFS") files with a 302 to a separate storage path carrying {@code X-Linked-Etag} (the
 * SHA-256) and {@code X-Repo-Commit}. With a token set, it refuses requests without it (401), as
 * for a gated repository.
 */
public final class LocalHub implements AutoCloseable {
  private static final int LFS_THRESHOLD = 1024;

  private final HttpServer server;
  private final String repository;
  private final String commit;
  private final Map<String, byte[]> files = new TreeMap<>();
  private final AtomicInteger blobDownloads = new AtomicInteger();
  private volatile String token;

  public LocalHub(String repository, String commit) throws IOException {
    this.repository = repository;
    this.commit = commit;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public synchronized void put(String path, byte[] content) {
    files.put(path, content);
  }

  public void requireToken(String token) {
    this.token = token;
  }

  /** How many file bodies were sent (a cached file is not sent again). */
  public int downloads() {
    return blobDownloads.get();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  private synchronized void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      boolean authorized =
          token == null
              || ("Bearer " + token).equals(exchange.getRequestHeaders().getFirst("Authorization"));
      String api = "/api/models/" + repository + "/revision/";
      String resolve = "/" + repository + "/resolve/";
      if (path.startsWith("/lfs/")) {
        sendBlob(exchange, path.substring("/lfs/".length()));
      } else if (!authorized) {
        exchange.sendResponseHeaders(401, -1);
      } else if (path.startsWith(api)) {
        StringBuilder siblings = new StringBuilder();
        for (String file : files.keySet()) {
          siblings
              .append(siblings.isEmpty() ? "" : ",")
              .append("{\"rfilename\":\"")
              .append(file)
              .append("\"}");
        }
        byte[] body =
            ("{\"id\":\""
                    + repository
                    + "\",\"sha\":\""
                    + commit
                    + "\",\"siblings\":["
                    + siblings
                    + "]}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
      } else if (path.startsWith(resolve)) {
        String rest = path.substring(resolve.length());
        String file = rest.substring(rest.indexOf('/') + 1);
        byte[] content = files.get(file);
        if (content == null) {
          exchange.sendResponseHeaders(404, -1);
          return;
        }
        exchange.getResponseHeaders().set("X-Repo-Commit", commit);
        if (content.length >= LFS_THRESHOLD) {
          String sha256 = hex("SHA-256", content);
          exchange.getResponseHeaders().set("X-Linked-Etag", "\"" + sha256 + "\"");
          exchange.getResponseHeaders().set("Location", "/lfs/" + sha256);
          exchange.sendResponseHeaders(302, -1);
          return;
        }
        exchange.getResponseHeaders().set("ETag", "\"" + hex("SHA-1", content) + "\"");
        if (exchange.getRequestMethod().equals("HEAD")) {
          exchange.sendResponseHeaders(200, -1);
          return;
        }
        blobDownloads.incrementAndGet();
        exchange.sendResponseHeaders(200, content.length);
        exchange.getResponseBody().write(content);
      } else {
        exchange.sendResponseHeaders(404, -1);
      }
    }
  }

  private void sendBlob(HttpExchange exchange, String sha256) throws IOException {
    for (byte[] content : files.values()) {
      if (hex("SHA-256", content).equals(sha256)) {
        blobDownloads.incrementAndGet();
        exchange.sendResponseHeaders(200, content.length);
        exchange.getResponseBody().write(content);
        return;
      }
    }
    exchange.sendResponseHeaders(404, -1);
  }

  private static String hex(String algorithm, byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
