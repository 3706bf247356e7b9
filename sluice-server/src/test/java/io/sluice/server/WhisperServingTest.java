package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.audio.Pcm16;
import io.sluice.runtime.asr.whisper.RandomWhisperWriter;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * whisper.cpp in a worker process behind {@code /v1/audio/transcriptions}, on a Whisper-tiny-shaped
 * model with random weights: the route answers in every format; the words themselves are nonsense.
 */
@Tag("slow")
class WhisperServingTest {
  @Test
  void whisperCppTranscribesThroughTheOpenAiRoute(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("ggml-tiny-random.bin");
    RandomWhisperWriter.write(model, RandomWhisperWriter.Size.TINY);
    try (TestServer server =
        TestServer.start(
            dir,
            """
        applications:
          - name: whisper
            routePrefix: /whisper
            deployments:
              - {name: whisper-cpp, runtime: whisper-cpp, hosting: worker, storageUri: '%s', settings: {threads: '2'}}
        """
                .formatted(model.toUri()))) {
      byte[] wav = tone();
      JsonNode json = MAPPER.readTree(transcribe(server, wav, "json").body());
      assertThat(json.get("text").asText()).isNotBlank();
      JsonNode verbose = MAPPER.readTree(transcribe(server, wav, "verbose_json").body());
      assertThat(verbose.get("duration").asDouble()).isEqualTo(2.0);
      assertThat(verbose.get("words").size())
          .isEqualTo(json.get("text").asText().split(" ").length);
      assertThat(verbose.get("text").asText()).isEqualTo(json.get("text").asText());
      assertThat(
              transcribe(server, "not audio".getBytes(StandardCharsets.US_ASCII), "json")
                  .statusCode())
          .isEqualTo(400);
    }
  }

  private static HttpResponse<String> transcribe(TestServer server, byte[] audio, String format)
      throws Exception {
    String boundary = "sluice-boundary";
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-cpp\r\n"
                + "--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\n"
                + format
                + "\r\n"
                + "--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                + "Content-Type: audio/wav\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    body.writeBytes(audio);
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return server.send(
        HttpRequest.newBuilder(server.uri("/whisper/v1/audio/transcriptions"))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
            .build());
  }

  /** Two seconds of a 16 kHz tone. */
  private static byte[] tone() {
    short[] samples = new short[32_000];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) (6_000 * Math.sin(2 * Math.PI * 330 * i / 16_000.0));
    }
    return new Pcm16(samples, 16_000).wavBytes();
  }
}
