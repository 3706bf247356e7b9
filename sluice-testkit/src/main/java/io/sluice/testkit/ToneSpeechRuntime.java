package io.sluice.testkit;

import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import io.sluice.spi.StreamingModel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A speech-synthesis stand-in for testing streaming, never registered in a default configuration:
 * it "speaks" each sentence (text up to and including a '.') as a 16 kHz tone of 10 ms per
 * character, one WAV chunk per sentence, sleeping {@code delayMs} before each. The sentence {@code
 * fail.} fails the request when its turn comes, after the chunks before it were delivered. Same
 * tensors as the real speech runtimes.
 */
public final class ToneSpeechRuntime implements ModelRuntime {
  static final int RATE = 16_000;
  static final int SAMPLES_PER_CHARACTER = RATE / 100;

  @Override
  public String name() {
    return "test-speech";
  }

  @Override
  public LoadedModel load(ModelSource source) {
    ModelMetadata metadata =
        new ModelMetadata(
            source.name(),
            List.of(source.version()),
            "sluice_test_speech",
            List.of(
                new TensorMetadata("text", DataType.BYTES, new long[] {1}),
                new TensorMetadata("speed", DataType.FP32, new long[] {1}, true)),
            List.of(new TensorMetadata("audio", DataType.BYTES, new long[] {1})));
    return new ToneSpeech(metadata, Long.parseLong(source.settings().getOrDefault("delayMs", "0")));
  }

  private record ToneSpeech(ModelMetadata metadata, long delayMs) implements StreamingModel {
    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      List<Pcm16> pieces = new ArrayList<>();
      inferStream(
          inputs,
          outputNames,
          chunk -> pieces.add(Pcm16.wav(chunk.get(0).bytesElements().get(0))),
          () -> false);
      int total = pieces.stream().mapToInt(p -> p.samples().length).sum();
      short[] samples = new short[total];
      int at = 0;
      for (Pcm16 piece : pieces) {
        System.arraycopy(piece.samples(), 0, samples, at, piece.samples().length);
        at += piece.samples().length;
      }
      return List.of(
          Tensor.ofBytes("audio", new long[] {1}, List.of(new Pcm16(samples, RATE).wavBytes())));
    }

    @Override
    public void inferStream(
        List<Tensor> inputs,
        List<String> outputNames,
        Consumer<List<Tensor>> onChunk,
        BooleanSupplier cancelled) {
      String text =
          inputs.stream()
              .filter(t -> t.name().equals("text"))
              .findFirst()
              .map(t -> new String(t.bytesElements().get(0), StandardCharsets.UTF_8))
              .orElse("");
      if (text.isBlank()) {
        throw new InvalidInputException("there is no text to speak");
      }
      for (String sentence : text.split("(?<=\\.)")) {
        if (cancelled.getAsBoolean()) {
          return;
        }
        if (sentence.isBlank()) {
          continue;
        }
        pause();
        if (sentence.strip().equals("fail.")) {
          throw new InferenceFailedException("injected failure in the middle of speaking");
        }
        onChunk.accept(
            List.of(
                Tensor.ofBytes(
                    "audio", new long[] {1}, List.of(tone(sentence.strip().length()).wavBytes()))));
      }
    }

    private void pause() {
      if (delayMs > 0) {
        try {
          Thread.sleep(delayMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InferenceFailedException("interrupted");
        }
      }
    }

    private static Pcm16 tone(int characters) {
      short[] samples = new short[characters * SAMPLES_PER_CHARACTER];
      for (int i = 0; i < samples.length; i++) {
        samples[i] = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / RATE));
      }
      return new Pcm16(samples, RATE);
    }

    @Override
    public void close() {}
  }
}
