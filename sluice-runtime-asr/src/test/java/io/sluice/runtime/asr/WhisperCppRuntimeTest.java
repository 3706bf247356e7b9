package io.sluice.runtime.asr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.api.audio.Pcm16;
import io.sluice.runtime.asr.whisper.RandomWhisperWriter;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * whisper.cpp runs a Whisper-tiny-shaped model with random weights (no Whisper weights exist in the
 * registries here): the transcript is nonsense, so this checks the runtime's contract, not the
 * words.
 */
@Tag("slow")
class WhisperCppRuntimeTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Test
  void transcribesAnyWavIntoTheSpeechRecognitionContract(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("ggml-tiny-random.bin");
    RandomWhisperWriter.write(model, RandomWhisperWriter.Size.TINY);
    try (LoadedModel whisper =
        new WhisperCppRuntime()
            .load(new ModelSource("whisper", "1", model, Map.of("threads", "2")))) {
      assertThat(whisper.metadata().platform()).isEqualTo("whisper_cpp");
      // 2.5 s of a 44.1 kHz stereo file: mixed down and resampled to whisper's 16 kHz.
      byte[] wav = SpeechRoundTripTest.stereo(tone(44_100, 2.5));
      List<Tensor> outputs =
          whisper.infer(
              List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(wav))),
              List.of("duration", "words", "text"));
      assertThat(outputs).extracting(Tensor::name).containsExactly("duration", "words", "text");
      assertThat(outputs.get(0).data().getFloat())
          .isCloseTo(2.5f, org.assertj.core.data.Offset.offset(0.01f));
      JsonNode words = MAPPER.readTree(outputs.get(1).bytesElements().get(0));
      String text = new String(outputs.get(2).bytesElements().get(0), StandardCharsets.UTF_8);
      StringBuilder joined = new StringBuilder();
      double previousEnd = 0;
      for (JsonNode word : words) {
        joined.append(joined.isEmpty() ? "" : " ").append(word.get("word").asText());
        assertThat(word.get("start").asDouble()).isGreaterThanOrEqualTo(previousEnd - 1e-9);
        assertThat(word.get("end").asDouble()).isGreaterThanOrEqualTo(word.get("start").asDouble());
        previousEnd = word.get("end").asDouble();
      }
      assertThat(text)
          .as("whisper.cpp suppresses a blank start, so random weights still say something")
          .isNotBlank()
          .isEqualTo(joined.toString());

      assertThatThrownBy(
              () ->
                  whisper.infer(
                      List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(new byte[0]))),
                      List.of("text")))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("empty");
      byte[] corrupt = "RIFF....WAVEjunk".getBytes(StandardCharsets.US_ASCII);
      assertThatThrownBy(
              () ->
                  whisper.infer(
                      List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(corrupt))),
                      List.of("text")))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("WAV");
    }
  }

  @Test
  void aFileThatIsNoWhisperModelIsALoadError(@TempDir Path dir) throws Exception {
    Path notAModel = Files.writeString(dir.resolve("model.bin"), "this is not a ggml file at all");
    assertThatThrownBy(
            () ->
                new WhisperCppRuntime().load(new ModelSource("whisper", "1", notAModel, Map.of())))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("cannot load");
    assertThatThrownBy(
            () ->
                new WhisperCppRuntime()
                    .load(new ModelSource("whisper", "1", dir.resolve("missing.bin"), Map.of())))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("no such");
  }

  private static Pcm16 tone(int rate, double seconds) {
    short[] samples = new short[(int) (rate * seconds)];
    for (int i = 0; i < samples.length; i++) {
      samples[i] =
          (short)
              (6_000 * Math.sin(2 * Math.PI * 220 * i / rate) * Math.sin(Math.PI * i / rate * 3));
    }
    return new Pcm16(samples, rate);
  }
}
