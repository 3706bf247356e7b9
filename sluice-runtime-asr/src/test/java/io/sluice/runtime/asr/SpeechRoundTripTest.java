package io.sluice.runtime.asr;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.api.audio.Pcm16;
import io.sluice.runtime.tts.EspeakRuntime;
import io.sluice.runtime.tts.MaryRuntime;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** espeak-ng speaks, Vosk listens: the words come back. */
@Tag("slow")
class SpeechRoundTripTest {
  static final String VOSK = "mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us";
  static final Path ESPEAK_DATA = Path.of("/usr/lib/x86_64-linux-gnu/espeak-ng-data");

  static final String MARY_VOICE = "mvn://de.dfki.mary:voice-cmu-slt-hsmm:5.2.1";

  @Test
  void maryTtsSpeechIsTranscribedBackWordForWord() throws Exception {
    LoadedModel mary =
        new MaryRuntime()
            .load(
                new ModelSource(
                    "tts", "1", ModelStore.standard(Progress.SILENT).fetch(MARY_VOICE), Map.of()));
    roundTrip(mary, "please call me tomorrow morning");

    byte[] normal = speak(mary, "one two three four five six", 1f);
    byte[] fast = speak(mary, "one two three four five six", 2f);
    assertThat(Pcm16.wav(fast).seconds())
        .as("speed 2 speaks faster")
        .isLessThan(Pcm16.wav(normal).seconds() * 0.7);
    assertThatThrownBy(() -> speak(mary, "   ", 1f))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("no text");
    assertThatThrownBy(() -> speak(mary, "hello", 9f))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("speed");
  }

  @Test
  void maryTtsStreamsOneWavPerSentenceAndTheyJoinIntoTheWholeText() throws Exception {
    io.sluice.spi.StreamingModel mary =
        (io.sluice.spi.StreamingModel)
            new MaryRuntime()
                .load(
                    new ModelSource(
                        "tts",
                        "1",
                        ModelStore.standard(Progress.SILENT).fetch(MARY_VOICE),
                        Map.of()));
    List<Pcm16> chunks = new java.util.ArrayList<>();
    mary.inferStream(
        List.of(
            Tensor.ofBytes(
                "text",
                new long[] {1},
                List.of(
                    "Please call me tomorrow morning. The weather is nice today."
                        .getBytes(StandardCharsets.UTF_8)))),
        List.of("audio"),
        chunk -> chunks.add(Pcm16.wav(chunk.get(0).bytesElements().get(0))),
        () -> false);
    assertThat(chunks).hasSize(2);
    short[] joined = new short[chunks.get(0).samples().length + chunks.get(1).samples().length];
    System.arraycopy(chunks.get(0).samples(), 0, joined, 0, chunks.get(0).samples().length);
    System.arraycopy(
        chunks.get(1).samples(),
        0,
        joined,
        chunks.get(0).samples().length,
        chunks.get(1).samples().length);
    try (LoadedModel asr =
        new VoskRuntime()
            .load(
                new ModelSource(
                    "asr", "1", ModelStore.standard(Progress.SILENT).fetch(VOSK), Map.of()))) {
      byte[] wav = new Pcm16(joined, chunks.get(0).sampleRate()).wavBytes();
      assertThat(
              new String(
                  asr.infer(
                          List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(wav))),
                          List.of("text"))
                      .get(0)
                      .bytesElements()
                      .get(0),
                  StandardCharsets.UTF_8))
          .isEqualTo("please call me tomorrow morning the weather is nice today");
    }

    List<Pcm16> cancelled = new java.util.ArrayList<>();
    mary.inferStream(
        List.of(
            Tensor.ofBytes(
                "text",
                new long[] {1},
                List.of("One. Two. Three.".getBytes(StandardCharsets.UTF_8)))),
        List.of("audio"),
        chunk -> cancelled.add(Pcm16.wav(chunk.get(0).bytesElements().get(0))),
        () -> !cancelled.isEmpty());
    assertThat(cancelled).as("no sentence after the cancellation").hasSize(1);
  }

  @Test
  void maryTtsRejectsAFileThatIsNoVoice(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path notAJar = Files.writeString(dir.resolve("voice.jar"), "not a jar");
    assertThatThrownBy(() -> new MaryRuntime().load(new ModelSource("tts", "1", notAJar, Map.of())))
        .isInstanceOf(io.sluice.spi.ModelLoadException.class)
        .hasMessageContaining("cannot be read as a jar");
  }

  @Test
  void espeakSpeechIsTranscribedBackWordForWord() throws Exception {
    require(
        Files.isDirectory(ESPEAK_DATA),
        "espeak-ng is not installed (bin/install-test-deps installs it)");
    roundTrip(
        new EspeakRuntime().load(new ModelSource("tts", "1", ESPEAK_DATA, Map.of())),
        "the quick brown fox jumps over the lazy dog");
  }

  private static byte[] speak(LoadedModel tts, String text, float speed) {
    return tts.infer(
            List.of(
                Tensor.ofBytes(
                    "text", new long[] {1}, List.of(text.getBytes(StandardCharsets.UTF_8))),
                Tensor.of(
                    "speed",
                    io.sluice.api.DataType.FP32,
                    new long[] {1},
                    java.nio.ByteBuffer.allocate(4)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putFloat(0, speed))),
            List.of("audio"))
        .get(0)
        .bytesElements()
        .get(0);
  }

  private static void roundTrip(LoadedModel ttsModel, String sentence) throws Exception {
    try (LoadedModel tts = ttsModel;
        LoadedModel asr =
            new VoskRuntime()
                .load(
                    new ModelSource(
                        "asr", "1", ModelStore.standard(Progress.SILENT).fetch(VOSK), Map.of()))) {
      byte[] wav =
          tts.infer(
                  List.of(
                      Tensor.ofBytes(
                          "text",
                          new long[] {1},
                          List.of(sentence.getBytes(StandardCharsets.UTF_8)))),
                  List.of("audio"))
              .get(0)
              .bytesElements()
              .get(0);
      assertThat(Pcm16.isWav(wav)).isTrue();
      List<Tensor> heard =
          asr.infer(
              List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(wav))),
              List.of("text", "words", "duration"));
      assertThat(new String(heard.get(0).bytesElements().get(0), StandardCharsets.UTF_8))
          .isEqualTo(sentence);
      String lastWord = sentence.substring(sentence.lastIndexOf(' ') + 1);
      assertThat(new String(heard.get(1).bytesElements().get(0), StandardCharsets.UTF_8))
          .contains("\"word\":\"" + lastWord + "\"");
      assertThat(heard.get(2).data().getFloat()).isGreaterThan(1.0f);

      byte[] stereo = stereo(Pcm16.wav(wav));
      assertThat(
              new String(
                  asr.infer(
                          List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(stereo))),
                          List.of("text"))
                      .get(0)
                      .bytesElements()
                      .get(0),
                  StandardCharsets.UTF_8))
          .as("several channels are mixed down")
          .isEqualTo(sentence);

      assertThatThrownBy(
              () ->
                  asr.infer(
                      List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(new byte[0]))),
                      List.of("text")))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("empty");
      byte[] corrupt = "RIFF....WAVEjunk".getBytes(StandardCharsets.US_ASCII);
      assertThatThrownBy(
              () ->
                  asr.infer(
                      List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(corrupt))),
                      List.of("text")))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("WAV");
    }
  }

  /** The same samples as a two-channel WAV. */
  static byte[] stereo(Pcm16 mono) {
    java.nio.ByteBuffer out =
        java.nio.ByteBuffer.allocate(44 + mono.samples().length * 4)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    int data = mono.samples().length * 4;
    out.putInt(0x46464952)
        .putInt(36 + data)
        .putInt(0x45564157)
        .putInt(0x20746d66)
        .putInt(16)
        .putShort((short) 1)
        .putShort((short) 2)
        .putInt(mono.sampleRate())
        .putInt(mono.sampleRate() * 4)
        .putShort((short) 4)
        .putShort((short) 16)
        .putInt(0x61746164)
        .putInt(data);
    for (short sample : mono.samples()) {
      out.putShort(sample).putShort(sample);
    }
    return out.array();
  }
}
