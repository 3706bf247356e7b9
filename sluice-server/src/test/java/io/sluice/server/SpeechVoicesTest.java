package io.sluice.server;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.audio.Pcm16;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI's {@code voice} on {@code /v1/audio/speech}: a voice the model speaks is spoken
 * (espeak-ng's French is what the espeak-ng command itself says in French), OpenAI's own names
 * speak the model's default, and an unknown voice is a 400 that lists the voices.
 */
class SpeechVoicesTest {
  private static final Path ESPEAK_DATA = Path.of("/usr/lib/x86_64-linux-gnu/espeak-ng-data");
  private static final String TEXT = "bonjour tout le monde";
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<byte[]> speech(TestServer server, String voice) throws Exception {
    return http.send(
        HttpRequest.newBuilder(server.uri("/tts/v1/audio/speech"))
            .header("content-type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    """
                    {"model": "espeak", "input": "%s", "voice": "%s", "response_format": "pcm"}"""
                        .formatted(TEXT, voice)))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  /** What the espeak-ng command says, as the route's 24 kHz PCM. */
  private static byte[] espeak(Path dir, String voice) throws Exception {
    Path wav = dir.resolve(voice + ".wav");
    Process process =
        new ProcessBuilder("espeak-ng", "-v", voice, "-s", "175", "-w", wav.toString(), TEXT)
            .start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return Pcm16.wav(Files.readAllBytes(wav)).resample(24_000).rawBytes();
  }

  @Test
  void theVoiceFieldChoosesAVoiceOfTheModel(@TempDir Path dir) throws Exception {
    require(Files.isDirectory(ESPEAK_DATA), "espeak-ng missing: run bin/install-test-deps");
    try (TestServer server =
        TestServer.start(
            dir,
            """
            applications:
              - name: tts
                deployments:
                  - {name: espeak, runtime: espeak, storageUri: 'file://%s'}
            """
                .formatted(ESPEAK_DATA))) {
      HttpResponse<byte[]> french = speech(server, "fr-fr");
      assertThat(french.statusCode()).isEqualTo(200);
      assertThat(french.body()).isEqualTo(espeak(dir, "fr-fr"));
      HttpResponse<byte[]> alloy = speech(server, "alloy");
      assertThat(alloy.statusCode()).isEqualTo(200);
      assertThat(alloy.body()).isEqualTo(espeak(dir, "en-us")).isNotEqualTo(french.body());

      HttpResponse<byte[]> unknown = speech(server, "klingon");
      assertThat(unknown.statusCode()).isEqualTo(400);
      assertThat(new String(unknown.body()))
          .contains("voice 'klingon' is not one of this model's voices")
          .contains("en-us")
          .contains("fr-fr");
    }
  }
}
