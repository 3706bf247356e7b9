package io.sluice.server.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.server.TestServer;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 PINGs both ways: a client pinging with nothing else moving is sent away as gRPC servers do
 * (GOAWAY ENHANCE_YOUR_CALM "too_many_pings"), keep-alives spaced by the minimum interval or
 * between requests are fine, and the server pings a connection with a request in flight, closing it
 * when the peer stops answering.
 */
class Http2PingTest {
  private static final String INFER = SlowClientTest.INFER;

  /** Every frame until the server closes the connection. */
  private static List<RawHttp2.Frame> readToClose(RawHttp2 client) throws IOException {
    List<RawHttp2.Frame> frames = new ArrayList<>();
    for (RawHttp2.Frame frame; (frame = client.read()) != null; ) {
      frames.add(frame);
    }
    return frames;
  }

  @Test
  void aPingFloodIsSentAwayWithTooManyPingsWhileOthersAreServed(@TempDir Path dir)
      throws Exception {
    try (TestServer server = SlowClientTest.start(dir, "{minPingInterval: 10s}");
        RawHttp2 flooder = new RawHttp2(server.server().port())) {
      long started = System.nanoTime();
      for (int i = 0; i < 10; i++) {
        flooder.ping(i);
      }
      List<RawHttp2.Frame> frames = readToClose(flooder);
      assertThat((System.nanoTime() - started) / 1e9)
          .as("seconds until the connection closed")
          .isLessThan(10);
      RawHttp2.Frame goAway =
          frames.stream().filter(f -> f.type() == RawHttp2.GOAWAY).findFirst().orElseThrow();
      assertThat(goAway.errorCode()).isEqualTo(0xB);
      assertThat(goAway.debugData()).isEqualTo("too_many_pings");
      assertThat(frames.stream().filter(f -> f.type() == RawHttp2.PING && f.isAck()).count())
          .as("pings answered: the first, two strikes, and the third that ended it")
          .isLessThanOrEqualTo(4);

      HttpResponse<String> other = server.post("/v2/models/echo/infer", INFER);
      assertThat(other.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void pingsBetweenRequestsOrSpacedByTheIntervalAreFine(@TempDir Path dir) throws Exception {
    try (TestServer server = SlowClientTest.start(dir, "{minPingInterval: 300ms}");
        RawHttp2 client = new RawHttp2(server.server().port())) {
      int stream = 1;
      for (int i = 0; i < 20; i++, stream += 2) {
        client.post(stream, "/v2/models/echo/infer", INFER);
        assertThat(answer(client, stream)).as("request %d", i).contains("\"outputs\"");
        client.ping(i); // as gRPC clients probe the bandwidth after receiving data
        assertThat(client.read())
            .matches(f -> f.type() == RawHttp2.PING && f.isAck(), "the ping's ACK");
      }
      for (int i = 0; i < 4; i++) {
        Thread.sleep(400);
        client.ping(100 + i);
        assertThat(client.read())
            .matches(f -> f.type() == RawHttp2.PING && f.isAck(), "the ping's ACK");
      }
      client.post(stream, "/v2/models/echo/infer", INFER);
      assertThat(answer(client, stream)).contains("\"outputs\"");
    }
  }

  @Test
  void aConnectionWhoseRequestIsInFlightIsPingedAndClosedWhenThePeerStopsAnswering(
      @TempDir Path dir) throws Exception {
    try (TestServer server =
            SlowClientTest.start(dir, "{keepAliveTime: 300ms, keepAliveTimeout: 300ms}");
        RawHttp2 silent = new RawHttp2(server.server().port())) {
      long started = System.nanoTime();
      silent.post(1, "/v2/models/slow/infer", INFER);
      List<RawHttp2.Frame> frames = readToClose(silent);
      double seconds = (System.nanoTime() - started) / 1e9;
      assertThat(frames).anyMatch(f -> f.type() == RawHttp2.PING && !f.isAck());
      assertThat(frames).noneMatch(f -> f.stream() == 1).as("closed before the 2.5-s answer");
      assertThat(seconds).isBetween(0.4, 2.4);
    }
  }

  @Test
  void aPeerThatAnswersTheServersPingsKeepsItsSlowRequest(@TempDir Path dir) throws Exception {
    try (TestServer server =
            SlowClientTest.start(dir, "{keepAliveTime: 300ms, keepAliveTimeout: 300ms}");
        RawHttp2 client = new RawHttp2(server.server().port())) {
      client.post(1, "/v2/models/slow/infer", INFER);
      int pings = 0;
      StringBuilder body = new StringBuilder();
      for (RawHttp2.Frame frame; (frame = client.read()) != null; ) {
        if (frame.type() == RawHttp2.PING && !frame.isAck()) {
          pings++;
          client.pong(frame);
        } else if (frame.type() == RawHttp2.DATA && frame.stream() == 1) {
          body.append(new String(frame.payload(), java.nio.charset.StandardCharsets.UTF_8));
          if (frame.endsStream()) {
            break;
          }
        }
      }
      assertThat(body.toString()).contains("\"outputs\"");
      assertThat(pings)
          .as("keep-alive pings during 2.5 s at one per 300 ms")
          .isGreaterThanOrEqualTo(3);
    }
  }

  /** The body of the answer on {@code stream}, reading until it ends. */
  private static String answer(RawHttp2 client, int stream) throws IOException {
    StringBuilder body = new StringBuilder();
    for (RawHttp2.Frame frame; (frame = client.read()) != null; ) {
      if (frame.stream() != stream) {
        continue;
      }
      if (frame.type() == RawHttp2.DATA) {
        body.append(new String(frame.payload(), java.nio.charset.StandardCharsets.UTF_8));
      }
      if (frame.endsStream()) {
        return body.toString();
      }
    }
    throw new AssertionError("the server closed the connection before stream " + stream + " ended");
  }
}
