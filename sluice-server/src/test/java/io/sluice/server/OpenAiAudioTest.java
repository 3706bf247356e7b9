package io.sluice.server;

import static io.sluice.server.TensorTestSupport.MAPPER;
import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text to speech to text through the official openai npm package: MaryTTS or espeak-ng speaks, Vosk
 * (in a worker) listens.
 */
@Tag("slow")
class OpenAiAudioTest {
  private static final Path CLIENT = Path.of("src/test/node");
  private static final Path ESPEAK_DATA = Path.of("/usr/lib/x86_64-linux-gnu/espeak-ng-data");

  @Test
  void maryTtsSpeechComesBackAsTheSameWords(@TempDir Path dir) throws Exception {
    roundTrip(
        dir,
        "{name: tts, runtime: marytts, storageUri: 'mvn://de.dfki.mary:voice-cmu-slt-hsmm:5.2.1'}",
        "please call me tomorrow morning",
        "tomorrow morning");
  }

  @Test
  void espeakSpeechComesBackAsTheSameWords(@TempDir Path dir) throws Exception {
    require(Files.isDirectory(ESPEAK_DATA), "espeak-ng missing: run bin/install-test-deps");
    roundTrip(
        dir,
        "{name: tts, runtime: espeak, storageUri: 'file://%s'}".formatted(ESPEAK_DATA),
        "the quick brown fox jumps over the lazy dog",
        "lazy dog");
  }

  private static void roundTrip(Path dir, String ttsDeployment, String sentence, String lastWords)
      throws Exception {
    require(
        Files.isDirectory(CLIENT.resolve("node_modules/openai")),
        "npm packages missing: run bin/install-test-deps");
    try (TestServer server =
        TestServer.start(
            dir,
            """
        applications:
          - name: tts
            deployments:
              - %s
          - name: whisper
            deployments:
              - name: asr
                runtime: vosk
                hosting: worker
                storageUri: "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us"
        """
                .formatted(ttsDeployment))) {
      Process node =
          new ProcessBuilder(
                  "node", "openai-audio.mjs", server.uri("/v1").toString(), "tts", "asr", sentence)
              .directory(CLIENT.toFile())
              .redirectErrorStream(true)
              .start();
      String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(node.exitValue()).as(output).isZero();
      JsonNode results = MAPPER.readTree(output.lines().reduce((a, b) -> b).orElseThrow());
      assertThat(results.get("wavHeader").asText()).isEqualTo("RIFFWAVE");
      assertThat(results.get("contentType").asText()).isEqualTo("audio/wav");
      assertThat(results.get("pcmBytes").asInt()).isGreaterThan(24_000);
      JsonNode sse = results.get("sse");
      assertThat(sse.get("contentType").asText()).isEqualTo("text/event-stream");
      assertThat(sse.get("types").toString())
          .isEqualTo("[\"speech.audio.delta\",\"speech.audio.delta\",\"speech.audio.done\"]");
      assertThat(sse.get("pcmBytes").asInt()).isGreaterThan(2 * 24_000);
      assertThat(sse.get("usage").get("input_tokens").asInt())
          .isEqualTo(2 * sentence.split(" ").length);
      assertThat(results.get("text").asText()).isEqualTo(sentence);
      assertThat(results.get("plain").asText().trim()).isEqualTo(sentence);
      assertThat(results.get("verbose").get("words").asInt()).isEqualTo(sentence.split(" ").length);
      assertThat(results.get("verbose").get("duration").asDouble()).isGreaterThan(1.0);
      assertThat(results.get("srt").asText())
          .startsWith("1\n00:00:00,000 --> 00:00:0")
          .contains(lastWords);
      assertThat(results.get("mp3").get("status").asInt()).isEqualTo(400);
      assertThat(results.get("mp3").get("message").asText()).contains("supported: [wav, pcm]");
      assertThat(results.get("emptySpeech").get("status").asInt()).isEqualTo(400);
      assertThat(results.get("notAudio").get("status").asInt()).isEqualTo(400);
      assertThat(results.get("notAudio").get("message").asText()).contains("supported: WAV");
      assertThat(results.get("emptyFile").get("status").asInt()).isEqualTo(400);
      assertThat(results.get("wrongModel").get("status").asInt()).isEqualTo(400);
      String metrics =
          server
              .http()
              .send(
                  java.net.http.HttpRequest.newBuilder(server.uri("/metrics")).build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(metrics) // audio spoken and transcribed, and how fast against real time
          .containsPattern("sluice_audio_seconds_total\\{direction=\"out\",model=\"tts\"} [1-9]")
          .containsPattern("sluice_audio_seconds_total\\{direction=\"in\",model=\"asr\"} [1-9]")
          .containsPattern(
              "sluice_audio_real_time_factor_count\\{direction=\"in\",model=\"asr\"} [1-9]")
          .containsPattern(
              "sluice_audio_real_time_factor_bucket\\{direction=\"out\",model=\"tts\",le=\"\\+Inf\"} [1-9]");
    }
  }
}
