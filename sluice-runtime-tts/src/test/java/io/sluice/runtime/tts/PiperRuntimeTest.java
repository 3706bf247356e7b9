package io.sluice.runtime.tts;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelSource;
import io.sluice.spi.StreamingModel;
import io.sluice.testkit.PiperVoiceWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Piper runtime on a stand-in voice with Piper's exact inputs and outputs ({@link
 * PiperVoiceWriter}), whose audio shows the phoneme ids, speaker and length scale it was given:
 * those must be Piper's (BOS, each of espeak-ng's IPA phonemes then PAD, EOS; the speaker named by
 * {@code voice}; the length scale divided by the speed), scaled to the peak as Piper does.
 */
class PiperRuntimeTest {
  private static final String TEXT = "hello world";

  /** espeak-ng's IPA for the text, as its command gives it, in code points (NFD). */
  private static List<String> ipa(String text) throws Exception {
    Process process = new ProcessBuilder("espeak-ng", "-q", "--ipa", "-v", "en-us", text).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    List<String> points = new ArrayList<>();
    Normalizer.normalize(out.strip(), Normalizer.Form.NFD)
        .codePoints()
        .forEach(point -> points.add(Character.toString(point)));
    return points;
  }

  private static byte[] speak(LoadedModel model, String text, Float speed, String voice) {
    List<Tensor> inputs = new ArrayList<>();
    inputs.add(
        Tensor.ofBytes("text", new long[] {1}, List.of(text.getBytes(StandardCharsets.UTF_8))));
    if (speed != null) {
      inputs.add(
          Tensor.of(
              "speed",
              DataType.FP32,
              new long[] {1},
              ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(speed).flip()));
    }
    if (voice != null) {
      inputs.add(
          Tensor.ofBytes("voice", new long[] {1}, List.of(voice.getBytes(StandardCharsets.UTF_8))));
    }
    return model.infer(inputs, List.of("audio")).getFirst().bytesElements().getFirst();
  }

  /**
   * The audio the stand-in voice makes for these ids, speaker and length scale, as Piper scales it.
   */
  private static short[] expected(List<Integer> ids, int speaker, float lengthScale) {
    List<Float> values = new ArrayList<>();
    for (int id : ids) {
      values.add((id + 200f * speaker) / 4096);
    }
    values.add(lengthScale * 10 / 4096);
    float peak = 0.01f;
    for (float value : values) {
      peak = Math.max(peak, Math.abs(value));
    }
    short[] samples = new short[values.size() * PiperVoiceWriter.HOP];
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) Math.round(values.get(i / PiperVoiceWriter.HOP) * (32767f / peak));
    }
    return samples;
  }

  /** Equal but for float rounding: the model computes in single precision. */
  private static void assertSpoken(short[] actual, short[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat(Math.abs(actual[i] - expected[i])).as("sample %d", i).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void aVoiceSpeaksPipersIdsForEspeaksPhonemesWithTheChosenSpeakerAndSpeed(@TempDir Path dir)
      throws Exception {
    require(
        Files.isExecutable(Path.of("/usr/bin/espeak-ng")),
        "espeak-ng missing: bin/install-test-deps installs it");
    List<String> phonemes = ipa(TEXT);
    Map<String, Integer> map = new LinkedHashMap<>();
    map.put("_", 0);
    map.put("^", 1);
    map.put("$", 2);
    for (String phoneme : phonemes) {
      map.putIfAbsent(phoneme, map.size());
    }
    List<Integer> ids = new ArrayList<>(List.of(1));
    for (String phoneme : phonemes) {
      ids.add(map.get(phoneme));
      ids.add(0);
    }
    ids.add(2);
    Path model =
        PiperVoiceWriter.write(dir.resolve("voice"), map, Map.of("ann", 0, "bob", 3), 22_050);
    LoadedModel piper =
        new PiperRuntime().load(new ModelSource("piper", "1", model.getParent(), Map.of()));

    Pcm16 ann = Pcm16.wav(speak(piper, TEXT, null, null));
    assertThat(ann.sampleRate()).isEqualTo(22_050);
    assertSpoken(ann.samples(), expected(ids, 0, 1f));
    assertSpoken(Pcm16.wav(speak(piper, TEXT, 2f, "bob")).samples(), expected(ids, 3, 0.5f));
    assertThat(Pcm16.wav(speak(piper, TEXT, null, "alloy")).samples())
        .as("OpenAI's names speak the default speaker")
        .isEqualTo(ann.samples());
    assertThatThrownBy(() -> speak(piper, TEXT, null, "carol"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("[ann, bob]");

    List<byte[]> chunks = new ArrayList<>();
    ((StreamingModel) piper)
        .inferStream(
            List.of(
                Tensor.ofBytes(
                    "text",
                    new long[] {1},
                    List.of("Hello world. Hello world.".getBytes(StandardCharsets.UTF_8)))),
            List.of("audio"),
            chunk -> chunks.add(chunk.getFirst().bytesElements().getFirst()),
            () -> false);
    assertThat(chunks).as("one WAV per sentence").hasSize(2);
    piper.close();
  }

  @Test
  void aSingleSpeakerVoiceHasOneVoiceAndNoSpeakerInput(@TempDir Path dir) throws Exception {
    require(
        Files.isExecutable(Path.of("/usr/bin/espeak-ng")),
        "espeak-ng missing: bin/install-test-deps installs it");
    Map<String, Integer> map = new LinkedHashMap<>(Map.of("_", 0, "^", 1, "$", 2));
    Path model = PiperVoiceWriter.write(dir.resolve("one"), map, Map.of(), 16_000);
    LoadedModel piper = new PiperRuntime().load(new ModelSource("piper", "1", model, Map.of()));
    // no phoneme of the text is in this voice's map: only BOS and EOS are spoken
    assertSpoken(
        Pcm16.wav(speak(piper, TEXT, null, "en-us")).samples(), expected(List.of(1, 2), 0, 1f));
    piper.close();
  }
}
