package io.sluice.runtime.tts;

import io.sluice.api.DataType;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.ModelSource;
import io.sluice.spi.StreamingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A speech synthesiser with the shared tensor contract (see {@link SpeechRequest}): whole texts for
 * {@code infer}, one WAV per sentence for {@code inferStream}. Implementations only {@link #speak}.
 */
interface SentenceSpeaker extends StreamingModel {
  /** A mono 16-bit WAV of {@code text} at {@code speed}. */
  byte[] speak(String text, float speed);

  /** The language sentences are split by. */
  Locale locale();

  /**
   * Inputs {@code text} BYTES {@code [1]} and optional {@code speed} FP32 {@code [1]}; output
   * {@code audio} BYTES {@code [1]}.
   */
  static ModelMetadata metadata(ModelSource source, String platform) {
    return new ModelMetadata(
        source.name(),
        List.of(source.version()),
        platform,
        List.of(
            new TensorMetadata("text", DataType.BYTES, new long[] {1}),
            new TensorMetadata("speed", DataType.FP32, new long[] {1}, true)),
        List.of(new TensorMetadata("audio", DataType.BYTES, new long[] {1})));
  }

  /** The whole text as one WAV, spoken piece by piece ({@link Sentences}) and joined. */
  @Override
  default List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    SpeechRequest request = SpeechRequest.of(inputs);
    List<String> pieces = Sentences.split(request.text(), locale());
    if (pieces.size() <= 1) {
      return List.of(audio(speak(request.text(), request.speed())));
    }
    List<Pcm16> spoken = new ArrayList<>();
    int samples = 0;
    for (String piece : pieces) {
      Pcm16 pcm = Pcm16.wav(speak(piece, request.speed()));
      spoken.add(pcm);
      samples += pcm.samples().length;
    }
    short[] joined = new short[samples];
    int at = 0;
    for (Pcm16 pcm : spoken) {
      System.arraycopy(pcm.samples(), 0, joined, at, pcm.samples().length);
      at += pcm.samples().length;
    }
    return List.of(audio(new Pcm16(joined, spoken.getFirst().sampleRate()).wavBytes()));
  }

  @Override
  default void inferStream(
      List<Tensor> inputs,
      List<String> outputNames,
      Consumer<List<Tensor>> onChunk,
      BooleanSupplier cancelled) {
    SpeechRequest request = SpeechRequest.of(inputs);
    for (String sentence : Sentences.split(request.text(), locale())) {
      if (cancelled.getAsBoolean()) {
        return;
      }
      onChunk.accept(List.of(audio(speak(sentence, request.speed()))));
    }
  }

  private static Tensor audio(byte[] wav) {
    return Tensor.ofBytes("audio", new long[] {1}, List.of(wav));
  }
}
