package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.audio.Pcm16;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code /v1/audio/speech} streams speech sentence by sentence while the model is still speaking,
 * in the server's process and through a worker process: the {@code test-speech} runtime pauses 300
 * ms before each sentence, so an answer that arrived all at once would show no gap between its
 * first bytes and its end.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpeechStreamingTest {
  private static final String TEXT = "One two. Three four five. Six.";

  /**
   * 10 ms of 16 kHz tone per character of each sentence ("One two." is 8 characters, and so on).
   */
  private static final int SAMPLES = (8 + 16 + 4) * 160;

  private TestServer server;

  @BeforeAll
  void start(@TempDir Path dir) {
    server =
        TestServer.start(
            dir,
            """
        applications:
          - name: speech
            deployments:
              - {name: local, runtime: test-speech, storageUri: '.', settings: {delayMs: '300'}}
              - {name: worker, runtime: test-speech, hosting: worker, storageUri: '.', settings: {delayMs: '300'}}
        """);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "worker"})
  void wavArrivesSentenceBySentenceWithAStreamingHeader(String model) throws Exception {
    Timed answer = stream(model, "wav", "audio", TEXT);
    assertThat(answer.response().statusCode()).isEqualTo(200);
    assertThat(answer.response().headers().firstValue("content-type")).contains("audio/wav");
    assertThat(answer.response().headers().firstValue("transfer-encoding")).contains("chunked");
    ByteBuffer header = ByteBuffer.wrap(answer.body(), 0, 44).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(header.getInt(4)).as("RIFF size").isEqualTo(-1);
    assertThat(header.getInt(40)).as("data size").isEqualTo(-1);
    Pcm16 audio = Pcm16.wav(answer.body());
    assertThat(audio.sampleRate()).isEqualTo(16_000);
    assertThat(audio.samples()).hasSize(SAMPLES);
    assertThat(answer.millisFromFirstBytesToEnd())
        .as("the first sentence came while the rest was spoken")
        .isGreaterThan(400);
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "worker"})
  void sseCarriesTheSameAudioAsDeltasThenDone(String model) throws Exception {
    Timed answer = stream(model, "pcm", "sse", TEXT);
    assertThat(answer.response().statusCode()).isEqualTo(200);
    assertThat(answer.response().headers().firstValue("content-type"))
        .contains("text/event-stream");
    List<JsonNode> events = new ArrayList<>();
    for (String line : new String(answer.body(), StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("data: ")) {
        events.add(MAPPER.readTree(line.substring(6)));
      }
    }
    assertThat(events)
        .extracting(e -> e.get("type").asText())
        .containsExactly(
            "speech.audio.delta", "speech.audio.delta", "speech.audio.delta", "speech.audio.done");
    int pcmBytes = 0;
    for (JsonNode delta : events.subList(0, 3)) {
      pcmBytes += Base64.getDecoder().decode(delta.get("audio").asText()).length;
    }
    assertThat(pcmBytes)
        .as("24 kHz 16-bit PCM, 1.5 samples per 16 kHz sample")
        .isEqualTo(SAMPLES * 3);
    assertThat(events.get(3).get("usage").get("input_tokens").asInt()).isEqualTo(6);
    assertThat(answer.millisFromFirstBytesToEnd()).isGreaterThan(400);
  }

  @ParameterizedTest
  @ValueSource(strings = {"local", "worker"})
  void aFailureMidStreamCutsTheAudioOffAndEndsTheEventsWithAnError(String model) throws Exception {
    assertThatThrownBy(() -> stream(model, "wav", "audio", "One two. fail. Six."))
        .as("an incomplete chunked body, not a short clean file")
        .isInstanceOf(IOException.class);

    Timed sse = stream(model, "wav", "sse", "One two. fail. Six.");
    String events = new String(sse.body(), StandardCharsets.UTF_8);
    assertThat(events)
        .contains("\"type\":\"speech.audio.delta\"")
        .contains("\"type\":\"error\"")
        .contains("injected failure")
        .doesNotContain("speech.audio.done");

    HttpResponse<String> before =
        server.post(
            "/v1/audio/speech",
            "{\"model\":\"" + model + "\",\"input\":\"fail.\",\"voice\":\"alloy\"}");
    assertThat(before.statusCode())
        .as("a failure before any audio keeps its status")
        .isEqualTo(500);
    assertThat(MAPPER.readTree(before.body()).get("error").get("message").asText())
        .contains("injected failure");

    assertThat(stream(model, "wav", "audio", "Still here.").response().statusCode()).isEqualTo(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sse", "audio"})
  void badStreamFormatsAndEmptyInputAreClearErrors(String streamFormat) throws Exception {
    HttpResponse<String> bad =
        server.post(
            "/v1/audio/speech",
            "{\"model\":\"local\",\"input\":\"hi.\",\"voice\":\"alloy\",\"stream_format\":\""
                + streamFormat
                + "x\"}");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(bad.body()).get("error").get("param").asText())
        .isEqualTo("stream_format");
    HttpResponse<String> empty =
        server.post(
            "/v1/audio/speech",
            "{\"model\":\"local\",\"input\":\" \",\"voice\":\"alloy\",\"stream_format\":\""
                + streamFormat
                + "\"}");
    assertThat(empty.statusCode()).isEqualTo(400);
    HttpResponse<String> tooLong =
        server.post(
            "/v1/audio/speech",
            MAPPER
                .createObjectNode()
                .put("model", "local")
                .put("input", "word ".repeat(820))
                .put("stream_format", streamFormat)
                .toString());
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(MAPPER.readTree(tooLong.body()).get("error").get("message").asText())
        .contains("at most 4096 characters");
  }

  private record Timed(
      HttpResponse<InputStream> response, byte[] body, long millisFromFirstBytesToEnd) {}

  private Timed stream(String model, String format, String streamFormat, String text)
      throws Exception {
    String json =
        MAPPER
            .createObjectNode()
            .put("model", model)
            .put("input", text)
            .put("voice", "alloy")
            .put("response_format", format)
            .put("stream_format", streamFormat)
            .toString();
    HttpResponse<InputStream> response =
        server
            .http()
            .send(
                HttpRequest.newBuilder(server.uri("/v1/audio/speech"))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json))
                    .build(),
                HttpResponse.BodyHandlers.ofInputStream());
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    long first = 0;
    try (InputStream in = response.body()) {
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        if (first == 0 && n > 0) {
          first = System.nanoTime();
        }
        body.write(buffer, 0, n);
      }
    }
    return new Timed(response, body.toByteArray(), (System.nanoTime() - first) / 1_000_000);
  }
}
