package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.server.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow and idle clients cannot hold the server: half-sent headers are closed after the header
 * timeout, a stalled body gets 408, idle keep-alive connections are closed, the connection cap
 * holds, and a slow request in flight is never cut by these timers.
 */
class SlowClientTest {
  static final String INFER =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}";

  /** A server with the given {@code server.limits}, an echo model and one that takes 2.5 s. */
  static TestServer start(Path dir, String limits) throws IOException {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    return TestServer.start(
        dir,
        """
        server:
          limits: %s
        applications:
          - name: app
            deployments:
              - {name: echo, runtime: test-echo, storageUri: '%s'}
              - {name: slow, runtime: test-echo, storageUri: '%s', settings: {delayMs: '2500'}}
        """
            .formatted(limits, placeholder, placeholder));
  }

  private static Socket connect(TestServer server) throws IOException {
    Socket socket = new Socket("127.0.0.1", server.server().port());
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** Reads until the server closes the connection; returns what it sent. */
  private static String readToClose(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder text = new StringBuilder();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        text.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
      }
    } catch (SocketException reset) {
      // a reset is a close too
    }
    return text.toString();
  }

  @Test
  void aThousandHalfSentHeadersAreClosedWhileOtherClientsAreServed(@TempDir Path dir)
      throws Exception {
    try (TestServer server = start(dir, "{headerTimeout: 1s, maxConnections: 2000}")) {
      List<Socket> attackers = new ArrayList<>();
      try {
        for (int i = 0; i < 1000; i++) {
          Socket socket = connect(server);
          socket
              .getOutputStream()
              .write(
                  "POST /v2/models/echo/infer HTTP/1.1\r\nHost: sluice\r\nContent-Le"
                      .getBytes(StandardCharsets.US_ASCII));
          attackers.add(socket);
        }
        long started = System.nanoTime();
        AtomicInteger served = new AtomicInteger();
        while (System.nanoTime() - started < 1_500_000_000L) {
          HttpResponse<String> response = server.post("/v2/models/echo/infer", INFER);
          assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
          served.incrementAndGet();
        }
        assertThat(served.get()).isGreaterThan(10);
        for (Socket socket : attackers) {
          socket.setSoTimeout(5_000);
          assertThat(readToClose(socket)).doesNotContain("200 OK");
        }
        assertThat((System.nanoTime() - started) / 1e9)
            .as("seconds until every half-sent header was closed")
            .isLessThan(12.0);
      } finally {
        for (Socket socket : attackers) {
          socket.close();
        }
      }
      assertThat(server.post("/v2/models/echo/infer", INFER).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aStalledBodyGets408(@TempDir Path dir) throws Exception {
    try (TestServer server = start(dir, "{bodyTimeout: 1s}");
        Socket socket = connect(server)) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v2/models/echo/infer HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\n"
                  + "Content-Length: 100000\r\n\r\n{\"inputs\":")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long started = System.nanoTime();
      String answer = readToClose(socket);
      assertThat(answer).startsWith("HTTP/1.1 408").contains("bodyTimeout");
      assertThat((System.nanoTime() - started) / 1e9).isBetween(0.9, 8.0);
    }
  }

  /**
   * Regression: the guard once asked other streams' responses whether they had ended while Vert.x
   * held the HTTP/2 connection's lock, and model threads ending responses took the locks in the
   * other order: the event loop deadlocked under concurrent requests on one connection (seen
   * through the Kubernetes router).
   */
  @Test
  @org.junit.jupiter.api.Timeout(
      value = 120,
      threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void concurrentRequestsOnOneHttp2ConnectionAreAllAnswered(@TempDir Path dir) throws Exception {
    try (TestServer server = start(dir, "{idleTimeout: 30s}");
        java.net.http.HttpClient http2 =
            java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_2)
                .build()) {
      java.net.URI uri =
          java.net.URI.create(
              "http://127.0.0.1:" + server.server().port() + "/v2/models/echo/infer");
      java.util.List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>>
          answers = new java.util.ArrayList<>();
      for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 50; i++) {
          answers.add(
              http2.sendAsync(
                  java.net.http.HttpRequest.newBuilder(uri)
                      .POST(java.net.http.HttpRequest.BodyPublishers.ofString(INFER))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString()));
        }
        for (var answer : answers) {
          var response = answer.get(20, java.util.concurrent.TimeUnit.SECONDS);
          assertThat(response.statusCode()).isEqualTo(200);
          assertThat(response.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
        }
        answers.clear();
      }
    }
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedButASlowRequestIsNot(@TempDir Path dir) throws Exception {
    try (TestServer server = start(dir, "{idleTimeout: 1s, headerTimeout: 1s}");
        Socket socket = connect(server)) {
      String request =
          "POST /v2/models/slow/infer HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\n"
              + "Content-Length: "
              + INFER.length()
              + "\r\n\r\n"
              + INFER;
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      long started = System.nanoTime();
      String answer = readToClose(socket); // 2.5 s of model time, then 1 s idle, then closed
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(answer).startsWith("HTTP/1.1 200").contains("\"outputs\"");
      assertThat(seconds).isBetween(3.0, 12.0);
    }
  }

  @Test
  void silentConnectionsAreClosedAfterTheHeaderTimeout(@TempDir Path dir) throws Exception {
    try (TestServer server = start(dir, "{headerTimeout: 1s}");
        Socket silent = connect(server)) {
      long started = System.nanoTime();
      assertThat(readToClose(silent)).isEmpty();
      assertThat((System.nanoTime() - started) / 1e9).isBetween(0.5, 8.0);
    }
  }

  @Test
  void theConnectionCapHolds(@TempDir Path dir) throws Exception {
    try (TestServer server = start(dir, "{maxConnections: 20}")) {
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 20; i++) {
          Socket socket = connect(server);
          assertThat(exchange(socket)).startsWith("HTTP/1.1 200");
          held.add(socket);
        }
        try (Socket extra = connect(server)) {
          extra.setSoTimeout(3_000);
          try {
            assertThat(exchange(extra)).as("the 21st connection is closed unanswered").isEmpty();
          } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection over the limit was held open", e);
          }
        }
        held.remove(0).close();
        Thread.sleep(300); // the server sees the close
        try (Socket again = connect(server)) {
          assertThat(exchange(again)).startsWith("HTTP/1.1 200");
        }
      } finally {
        for (Socket socket : held) {
          socket.close();
        }
      }
    }
  }

  @Test
  void anOversizedHeaderIs431AndHttp2AnnouncesTheStreamLimit(@TempDir Path dir) throws Exception {
    try (TestServer server = start(dir, "{maxHeaderSize: 2Ki, maxConcurrentStreams: 7}");
        Socket socket = connect(server)) {
      socket
          .getOutputStream()
          .write(
              ("GET /v2/health/live HTTP/1.1\r\nHost: sluice\r\nX-Big: "
                      + "a".repeat(4096)
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      assertThat(readToClose(socket)).startsWith("HTTP/1.1 431");
      // HTTP/2 counts 32 bytes per field on top of name and value (RFC 7541); Netty answers 431 up
      // to 1.25 times the
      // limit and ends the connection beyond.
      try (RawHttp2 http2 = new RawHttp2(server.server().port())) {
        http2.post(1, "/v2/models/echo/infer", INFER, bigFields(14)); // about 2.2 KiB
        RawHttp2.Frame answer = http2.read();
        assertThat(answer.type()).as("HEADERS with the status").isEqualTo(RawHttp2.HEADERS);
        assertThat(http2.headers(answer).status().toString()).isEqualTo("431");
      }
      try (RawHttp2 http2 = new RawHttp2(server.server().port())) {
        http2.post(1, "/v2/models/echo/infer", INFER, bigFields(30)); // about 4.4 KiB
        RawHttp2.Frame answer = http2.read();
        assertThat(answer.type()).as("GOAWAY").isEqualTo(RawHttp2.GOAWAY);
        assertThat(http2.read()).as("then the connection is closed").isNull();
      }
      io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
      try {
        io.vertx.core.http.HttpClientConnection connection =
            vertx
                .createHttpClient(
                    new io.vertx.core.http.HttpClientOptions()
                        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
                        .setHttp2ClearTextUpgrade(false))
                .connect(
                    new io.vertx.core.http.HttpConnectOptions()
                        .setHost("127.0.0.1")
                        .setPort(server.server().port()))
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (connection.remoteSettings().getMaxConcurrentStreams() != 7
            && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(connection.remoteSettings().getMaxConcurrentStreams()).isEqualTo(7);
      } finally {
        vertx.close();
      }
    }
  }

  private static String[] bigFields(int count) {
    String[] fields = new String[2 * count];
    for (int i = 0; i < count; i++) {
      fields[2 * i] = "x-big-" + i;
      fields[2 * i + 1] = "b".repeat(100);
    }
    return fields;
  }

  /**
   * One keep-alive health request; the answer's head, or "" when the server closed the connection.
   */
  private static String exchange(Socket socket) throws IOException {
    socket
        .getOutputStream()
        .write(
            "GET /v2/health/live HTTP/1.1\r\nHost: sluice\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
    byte[] buffer = new byte[4096];
    try {
      int n = socket.getInputStream().read(buffer);
      return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
    } catch (SocketException reset) {
      return "";
    }
  }
}
