package io.sluice.server.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A Realtime session through the JDK's WebSocket client: events sent, events received in order. */
final class RealtimeClient implements WebSocket.Listener, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
  private final StringBuilder partial = new StringBuilder();
  final WebSocket socket;

  RealtimeClient(HttpClient http, String url) throws Exception {
    socket = http.newWebSocketBuilder().buildAsync(URI.create(url), this).get(20, TimeUnit.SECONDS);
  }

  @Override
  public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      try {
        received.add(JSON.readTree(partial.toString()));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      partial.setLength(0);
    }
    socket.request(1);
    return null;
  }

  void send(String event) throws Exception {
    socket.sendText(event, true).get(5, TimeUnit.SECONDS);
  }

  /** The next event, within 60 s. */
  JsonNode next() throws InterruptedException {
    JsonNode event = received.poll(60, TimeUnit.SECONDS);
    assertThat(event).as("an event within 60 s").isNotNull();
    return event;
  }

  /** Events up to and including the next of {@code type}, the last of them returned. */
  JsonNode until(String type, java.util.List<JsonNode> seen) throws InterruptedException {
    while (true) {
      JsonNode event = next();
      seen.add(event);
      if (event.path("type").asText().equals(type)) {
        return event;
      }
    }
  }

  @Override
  public void close() {
    socket.abort();
  }
}
