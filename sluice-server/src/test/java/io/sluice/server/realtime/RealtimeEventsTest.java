package io.sluice.server.realtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Realtime WebSocket's contract with a plain client (the JDK's): where it is, what a bad event
 * gets (an {@code error} event with OpenAI's code and the client's {@code event_id}, the session
 * going on), and that a session silent for longer than the server's idle timeout stays open.
 */
class RealtimeEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private TestServer server;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    String placeholder = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
    server =
        TestServer.start(
            dir,
            """
        server:
          limits: {idleTimeout: 1s}
        applications:
          - name: models
            deployments:
              - {name: asr, runtime: test-echo, storageUri: '%1$s'}
              - {name: llm, runtime: test-echo-text, storageUri: '%1$s'}
              - {name: tts, runtime: test-echo, storageUri: '%1$s'}
        pipelines:
          - {name: voice, type: voice, asr: asr, llm: llm, tts: tts}
        """
                .formatted(placeholder));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private RealtimeClient connect(String path) throws Exception {
    return new RealtimeClient(http, "ws://127.0.0.1:" + server.server().port() + path);
  }

  @Test
  void badEventsGetErrorEventsAndTheSessionGoesOn() throws Exception {
    RealtimeClient events = connect("/v1/realtime?model=voice");
    WebSocket socket = events.socket;
    JsonNode created = events.next();
    assertThat(created.get("type").asText()).isEqualTo("session.created");
    assertThat(created.at("/session/model").asText()).isEqualTo("voice");
    assertThat(created.at("/session/audio/input/turn_detection").isNull())
        .as("no vad deployment: the client commits")
        .isTrue();

    String[][] cases = {
      {"not json", "invalid_json"},
      {"{\"type\": \"no.such\", \"event_id\": \"e1\"}", "invalid_value"},
      {
        "{\"type\": \"input_audio_buffer.commit\", \"event_id\": \"e2\"}",
        "input_audio_buffer_commit_empty"
      },
      {"{\"type\": \"response.cancel\", \"event_id\": \"e3\"}", "response_cancel_not_active"},
      {
        "{\"type\": \"conversation.item.delete\", \"item_id\": \"nope\", \"event_id\": \"e4\"}",
        "item_not_found"
      },
      {
        "{\"type\": \"input_audio_buffer.append\", \"audio\": \"%%%\", \"event_id\": \"e5\"}",
        "invalid_value"
      },
      {
        "{\"type\": \"session.update\", \"event_id\": \"e6\", \"session\": {\"audio\": {\"input\":"
            + " {\"turn_detection\": {\"type\": \"server_vad\"}}}}}",
        "invalid_value"
      },
      {
        "{\"type\": \"session.update\", \"event_id\": \"e7\", \"session\": {\"audio\": {\"input\":"
            + " {\"format\": {\"type\": \"audio/flac\"}}}}}",
        "invalid_value"
      },
    };
    for (String[] bad : cases) {
      socket.sendText(bad[0], true).get(5, TimeUnit.SECONDS);
      JsonNode error = events.next();
      assertThat(error.get("type").asText()).as(bad[0]).isEqualTo("error");
      assertThat(error.at("/error/type").asText()).isEqualTo("invalid_request_error");
      assertThat(error.at("/error/code").asText()).as(bad[0]).isEqualTo(bad[1]);
      if (bad[0].contains("event_id")) {
        assertThat(error.at("/error/event_id").asText()).startsWith("e");
      }
    }

    // silent for longer than the idle timeout (1 s): still open
    Thread.sleep(2_500);
    socket
        .sendText(
            "{\"type\": \"session.update\", \"session\": {\"output_modalities\": [\"text\"],"
                + " \"instructions\": \"be brief\"}}",
            true)
        .get(5, TimeUnit.SECONDS);
    JsonNode updated = events.next();
    assertThat(updated.get("type").asText()).isEqualTo("session.updated");
    assertThat(updated.at("/session/output_modalities/0").asText()).isEqualTo("text");
    assertThat(updated.at("/session/instructions").asText()).isEqualTo("be brief");

    socket.sendText(
        "{\"type\": \"conversation.item.create\", \"item\": {\"type\": \"message\", \"role\":"
            + " \"user\", \"content\": [{\"type\": \"input_text\", \"text\": \"two words\"}]}}",
        true);
    assertThat(events.next().get("type").asText()).isEqualTo("conversation.item.added");
    assertThat(events.next().get("type").asText()).isEqualTo("conversation.item.done");
    socket.sendText("{\"type\": \"response.create\"}", true);
    StringBuilder text = new StringBuilder();
    JsonNode event;
    do {
      event = events.next();
      if (event.get("type").asText().equals("response.output_text.delta")) {
        text.append(event.get("delta").asText());
      }
    } while (!event.get("type").asText().equals("response.done"));
    assertThat(event.at("/response/status").asText()).isEqualTo("completed");
    assertThat(text.toString()).isEqualTo("two words");
    socket.abort();
  }

  @Test
  void theRouteIsAWebSocketForItsPipelineOnly() throws Exception {
    HttpResponse<String> plain =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + server.server().port() + "/v1/realtime?model=voice"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(plain.statusCode()).isEqualTo(426);
    assertThat(JSON.readTree(plain.body()).at("/error/code").asText())
        .isEqualTo("upgrade_required");
    HttpResponse<String> other =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:" + server.server().port() + "/v1/realtime?model=other"))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(other.statusCode()).isEqualTo(404);
    RealtimeClient events = connect("/voice/v1/realtime");
    WebSocket socket = events.socket;
    assertThat(events.next().get("type").asText()).isEqualTo("session.created");
    socket.abort();
  }
}
