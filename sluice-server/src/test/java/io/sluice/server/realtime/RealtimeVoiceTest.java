package io.sluice.server.realtime;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.audio.Pcm16;
import io.sluice.server.TestServer;
import io.sluice.storage.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code openai} SDK's {@code OpenAIRealtimeWS} over wss (a test CA, an API key) holds a spoken
 * conversation with a voice pipeline of real models: Silero VAD (from its npm package) finds the
 * turn in espeak-ng's speech without a commit, Vosk transcribes it, the reply (an echo of the
 * question, so its text is known) streams as transcript and audio; a text turn answers in text; and
 * speech during a spoken reply cancels it, then is answered itself.
 */
@Tag("slow")
class RealtimeVoiceTest {
  private static final Path CLIENT = Path.of("src/test/node");
  private static final String KEY = "sk-realtime-0123456789";
  private static final String QUESTION = "please call me tomorrow morning";

  /** espeak-ng's spoken question as 24 kHz PCM16, the client's input. */
  private static Path question(Path dir) throws Exception {
    require(
        Files.isDirectory(CLIENT.resolve("node_modules/ws")),
        "npm packages missing: bin/install-test-deps runs npm ci in " + CLIENT);
    require(
        Files.isExecutable(Path.of("/usr/bin/espeak-ng")),
        "espeak-ng missing: bin/install-test-deps installs it");
    Path wav = dir.resolve("question.wav");
    Process espeak = new ProcessBuilder("espeak-ng", "-w", wav.toString(), QUESTION).start();
    assertThat(espeak.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Path pcm = dir.resolve("question.pcm");
    Files.write(pcm, Pcm16.wav(Files.readAllBytes(wav)).resample(24_000).rawBytes());
    return pcm;
  }

  /**
   * Serves {@code config} (its {@code server:} section gets TLS with a test CA and an API key) and
   * runs the SDK's conversation against {@code model=voice}; the client's results.
   */
  private static JsonNode converse(Path dir, String config, Path pcm) throws Exception {
    TestCertificates authority = new TestCertificates();
    TestCertificates.write(
        authority.server("localhost"), dir.resolve("server.pem"), dir.resolve("server.key"));
    authority.writeCa(dir.resolve("ca.pem"));
    String secured =
        config.replaceFirst(
            "(?m)^server:\\s*\\n",
            "server:\n  tls: {certificate: server.pem, key: server.key}\n  auth: {apiKeys: ['"
                + KEY
                + "']}\n");
    try (TestServer server = TestServer.start(dir, secured)) {
      ProcessBuilder builder =
          new ProcessBuilder(
                  "node",
                  "openai-realtime.mjs",
                  "https://localhost:" + server.server().port() + "/v1",
                  "voice",
                  KEY,
                  pcm.toString())
              .directory(CLIENT.toFile())
              .redirectErrorStream(true);
      builder.environment().put("NODE_EXTRA_CA_CERTS", dir.resolve("ca.pem").toString());
      Process node = builder.start();
      String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(node.waitFor(240, TimeUnit.SECONDS)).isTrue();
      assertThat(node.exitValue()).as(output).isZero();
      JsonNode results =
          new ObjectMapper().readTree(output.lines().reduce((a, b) -> b).orElseThrow());
      System.out.println(
          "realtime conversation: "
              + ((com.fasterxml.jackson.databind.node.ObjectNode) results.deepCopy())
                  .without("events"));
      assertThat(results.has("failure")).as(output).isFalse();
      assertThat(results.get("createdTurnDetection").asText()).isEqualTo("server_vad");
      assertThat(results.get("badEvent").asText()).isEqualTo("invalid_value");
      // the speech starts after 500 ms of silence (less the 300 ms padding) and ends before the
      // trailing silence's end
      double speechSeconds = Files.size(pcm) / 2.0 / 24_000;
      assertThat(results.get("speechStartMs").asLong()).isBetween(0L, 500L);
      assertThat(results.get("speechEndMs").asLong())
          .isBetween(500L, 500L + (long) (speechSeconds * 1000) + 300);
      assertThat(results.get("transcript").asText()).isEqualTo(QUESTION);
      assertThat(results.get("transcriptDeltas").asText()).isEqualTo(QUESTION);
      JsonNode spoken = results.get("spoken");
      assertThat(spoken.get("status").asText()).isEqualTo("completed");
      assertThat(spoken.get("transcriptDone").asText())
          .isEqualTo(spoken.get("transcript").asText())
          .isNotBlank();
      assertThat(spoken.get("audioBytes").asLong())
          .as("at least half a second of 24 kHz speech")
          .isGreaterThan(24_000L);
      JsonNode text = results.get("text");
      assertThat(text.get("status").asText()).isEqualTo("completed");
      assertThat(text.get("audioDeltas").asInt()).isZero();
      JsonNode bargeIn = results.get("bargeIn");
      assertThat(bargeIn.get("status").asText()).isEqualTo("cancelled");
      assertThat(bargeIn.get("reason").asText()).isEqualTo("turn_detected");
      assertThat(bargeIn.get("sameResponse").asBoolean()).isTrue();
      assertThat(bargeIn.get("audioAfterCancel").asInt()).isZero();
      assertThat(bargeIn.get("nextTranscript").asText()).isEqualTo(QUESTION);
      return results;
    }
  }

  /** With an LLM that echoes the question, the reply's words are known too. */
  @Test
  void theOpenAiRealtimeClientHoldsASpokenConversation(@TempDir Path dir) throws Exception {
    JsonNode results =
        converse(
            dir,
            """
        server:
          host: 127.0.0.1
        applications:
          - name: models
            deployments:
              - {name: asr, runtime: vosk, hosting: worker, storageUri: "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us"}
              - {name: echo, runtime: test-echo-text, storageUri: '.', settings: {tokenDelayMs: '150'}}
              - {name: tts, runtime: espeak, storageUri: 'file:///usr/lib/x86_64-linux-gnu/espeak-ng-data'}
              - {name: vad, runtime: onnx, storageUri: 'npm://@ricky0123/vad-web@0.0.31!/dist/silero_vad_v5.onnx'}
        pipelines:
          - {name: voice, type: voice, asr: asr, llm: echo, tts: tts, vad: vad, firstPieceWords: 2}
        """,
            question(dir));
    assertThat(results.at("/spoken/transcript").asText()).isEqualTo(QUESTION);
    assertThat(results.at("/text/text").asText()).isEqualTo("hello there friend");
    // on an idle server the VAD keeps pace with the audio, and the turn's first words are sent
    // while it is still being spoken (a server behind the audio may only finish the turn whole)
    assertThat(results.get("deltasWhileSpeaking").asInt())
        .as("transcription deltas before the turn ended")
        .isPositive();
  }

  /**
   * The default configuration (config/sluice.yaml: MaryTTS, the random-weight llama, every other
   * application beside): the same conversation; the LLM's words are nonsense, so only their shape
   * is checked.
   */
  @Test
  void theDefaultConfigurationHoldsTheSameConversation(@TempDir Path dir) throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    Path gguf = dir.resolve("tiny-llama.gguf");
    io.sluice.runtime.llm.gguf.RandomModelWriter.writeTinyLlama(gguf, 256, 4);
    String config =
        Files.readString(root.resolve("config/sluice.yaml"))
            .replace("../models/tiny-llama/model.gguf", gguf.toString())
            .replace("../", root + "/");
    JsonNode results = converse(dir, config, question(dir));
    assertThat(results.at("/text/text").asText()).isNotBlank();
  }
}
