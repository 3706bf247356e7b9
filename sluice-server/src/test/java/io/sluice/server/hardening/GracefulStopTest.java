package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.server.TestServer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stopping server loses no request it accepted: clients are told to close ({@code Connection:
 * close}) before any keep-alive connection is closed under them, so a client's next request goes to
 * a fresh connection (another server behind a load balancer, here a refused connect) rather than
 * into a socket the server is closing.
 */
class GracefulStopTest {
  private static final String ECHO_REQUEST =
      "POST /v2/models/echo/infer HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\n"
          + "Content-Length: "
          + SlowClientTest.INFER.length()
          + "\r\n\r\n"
          + SlowClientTest.INFER;

  private static final String REQUEST =
      "POST /v2/models/slow/infer HTTP/1.1\r\nHost: sluice\r\nContent-Type: application/json\r\n"
          + "Content-Length: "
          + SlowClientTest.INFER.length()
          + "\r\n\r\n"
          + SlowClientTest.INFER;

  @Test
  void anAnswerInFlightWhenTheStopBeginsTellsItsClientToClose(@TempDir Path dir) throws Exception {
    TestServer server = SlowClientTest.start(dir, "{idleTimeout: 60s}");
    Thread stopping = null;
    try (Socket socket = new Socket("127.0.0.1", server.server().port())) {
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
      var slow = server.server().engine().registry().find("slow").orElseThrow();
      while (slow.inFlight() == 0) { // until the request is with the model (2.5 s)
        Thread.sleep(10);
      }
      stopping = Thread.ofPlatform().start(server::close);
      String answer = readToClose(socket.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 200").contains("\"outputs\"");
      assertThat(answer.toLowerCase()).contains("\r\nconnection: close\r\n");
    } finally {
      if (stopping == null) {
        server.close();
      } else {
        stopping.join(30_000);
      }
    }
  }

  /**
   * Eight clients each send request after request on one keep-alive connection, as clients behind a
   * Kubernetes Service do while the pod they reach stops: a client told to close goes elsewhere
   * (new connections reach another pod), and none may see its connection closed under a request.
   */
  @Test
  void clientsLoopingOnKeepAliveConnectionsLoseNothingWhileTheServerStops(@TempDir Path dir)
      throws Exception {
    TestServer server = SlowClientTest.start(dir, "{idleTimeout: 60s}");
    String request = ECHO_REQUEST;
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger toldToClose = new AtomicInteger();
    List<String> lost = new CopyOnWriteArrayList<>();
    List<Thread> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        Socket socket = new Socket("127.0.0.1", server.server().port());
        socket.setSoTimeout(30_000);
        clients.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try (socket;
                          var in = new BufferedInputStream(socket.getInputStream())) {
                        while (true) {
                          socket
                              .getOutputStream()
                              .write(request.getBytes(StandardCharsets.US_ASCII));
                          Answer answer = Answer.read(in);
                          if (answer == null) {
                            lost.add("connection closed before the answer");
                            return;
                          }
                          if (answer.status() != 200) {
                            lost.add("status " + answer.status());
                            return;
                          }
                          answered.incrementAndGet();
                          if (answer.close()) {
                            toldToClose.incrementAndGet();
                            return;
                          }
                        }
                      } catch (IOException e) {
                        lost.add(e.toString());
                      }
                    }));
      }
      while (answered.get() < 2_000 && lost.isEmpty()) {
        Thread.sleep(20);
      }
    } finally {
      server.close();
      for (Thread client : clients) {
        client.join(30_000);
      }
    }
    assertThat(lost).as("requests lost while the server stopped").isEmpty();
    assertThat(toldToClose.get()).isEqualTo(8);
  }

  /**
   * A keep-alive connection that sits idle in a client's pool while the server drains is not closed
   * under it: the client may take it for its next request at any moment. That request is answered,
   * and told to close.
   */
  @Test
  void anIdleKeepAliveConnectionIsAnsweredAndToldToCloseWhileTheServerDrains(@TempDir Path dir)
      throws Exception {
    TestServer server = SlowClientTest.start(dir, "{idleTimeout: 60s}");
    String request = ECHO_REQUEST;
    byte[] bytes = request.getBytes(StandardCharsets.US_ASCII);
    Thread stopping = null;
    try (Socket idle = new Socket("127.0.0.1", server.server().port())) {
      idle.setSoTimeout(20_000);
      var in = new BufferedInputStream(idle.getInputStream());
      idle.getOutputStream().write(bytes);
      assertThat(Answer.read(in)).isEqualTo(new Answer(200, false));

      stopping = Thread.ofPlatform().start(server::close);
      boolean draining = false;
      while (!draining) { // until another connection's answer says the drain has begun
        try (Socket probe = new Socket("127.0.0.1", server.server().port())) {
          probe.setSoTimeout(20_000);
          probe.getOutputStream().write(bytes);
          draining = Answer.read(new BufferedInputStream(probe.getInputStream())).close();
        }
      }
      Thread.sleep(1_000);
      idle.getOutputStream().write(bytes);
      assertThat(Answer.read(in))
          .as("the idle connection's next request during the drain")
          .isEqualTo(new Answer(200, true));
    } finally {
      if (stopping == null) {
        server.close();
      } else {
        stopping.join(30_000);
      }
    }
  }

  /**
   * The JDK's HTTP/2 client (h2c, as {@code HttpClient} speaks to {@code http://} by default) loops
   * on its connections while the server stops: it is sent away with GOAWAY and told nothing else
   * until its streams have been answered a while ago. The JDK client reads the end of a connection
   * closed right after its last answer before that answer's frames and fails the request with "EOF
   * reached while reading".
   */
  @Test
  void http2ClientsLoopingWhileTheServerStopsLoseNothing(@TempDir Path dir) throws Exception {
    TestServer server = SlowClientTest.start(dir, "{idleTimeout: 60s}");
    URI echo = URI.create("http://127.0.0.1:" + server.server().port() + "/v2/models/echo/infer");
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger overHttp2 = new AtomicInteger();
    AtomicBoolean goneElsewhere = new AtomicBoolean();
    List<String> lost = new CopyOnWriteArrayList<>();
    List<Thread> clients = new ArrayList<>();
    Thread stopping = null;
    try {
      for (int i = 0; i < 8; i++) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        clients.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try (http) {
                        while (!goneElsewhere.get()) {
                          HttpResponse<String> answer =
                              http.send(
                                  HttpRequest.newBuilder(echo)
                                      .POST(BodyPublishers.ofString(SlowClientTest.INFER))
                                      .build(),
                                  BodyHandlers.ofString());
                          if (answer.statusCode() != 200) {
                            lost.add("status " + answer.statusCode());
                            return;
                          }
                          answered.incrementAndGet();
                          if (answer.version() == HttpClient.Version.HTTP_2) {
                            overHttp2.incrementAndGet();
                          }
                        }
                      } catch (ConnectException refused) {
                        // the server no longer listens: a client behind a Service reaches another
                      } catch (IOException | InterruptedException e) {
                        lost.add(e.toString());
                      }
                    }));
      }
      while (answered.get() < 500 && lost.isEmpty()) {
        Thread.sleep(20);
      }
      stopping = Thread.ofPlatform().start(server::close);
      // a GOAWAY reaches its client within this; then clients behind a Service open connections
      // to another server, which this test does not have
      Thread.sleep(500);
      goneElsewhere.set(true);
      for (Thread client : clients) {
        client.join(30_000);
      }
    } finally {
      if (stopping == null) {
        server.close();
      } else {
        stopping.join(30_000);
      }
    }
    assertThat(lost).as("requests lost while the server stopped").isEmpty();
    assertThat(overHttp2.get()).as("answers over HTTP/2").isGreaterThan(400);
  }

  /** An HTTP/1.1 answer's status and whether it closes its connection; its body is skipped. */
  private record Answer(int status, boolean close) {
    /** The next answer on {@code in}, or null when the connection ends before one. */
    static Answer read(InputStream in) throws IOException {
      List<String> head = new ArrayList<>();
      StringBuilder line = new StringBuilder();
      for (int c; ; ) {
        c = in.read();
        if (c < 0) {
          return null;
        }
        if (c == '\n') {
          String text = line.toString().strip();
          line.setLength(0);
          if (text.isEmpty()) {
            break;
          }
          head.add(text);
        } else {
          line.append((char) c);
        }
      }
      int length = 0;
      boolean close = false;
      for (String header : head.subList(1, head.size())) {
        String name = header.substring(0, header.indexOf(':')).strip().toLowerCase();
        String value = header.substring(header.indexOf(':') + 1).strip().toLowerCase();
        if (name.equals("content-length")) {
          length = Integer.parseInt(value);
        } else if (name.equals("connection")) {
          close = value.equals("close");
        }
      }
      if (in.readNBytes(length).length < length) {
        return null;
      }
      return new Answer(Integer.parseInt(head.getFirst().split(" ")[1]), close);
    }
  }

  private static String readToClose(InputStream in) throws IOException {
    StringBuilder text = new StringBuilder();
    byte[] buffer = new byte[4096];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      text.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
    }
    return text.toString();
  }
}
