package io.sluice.runtime.tts;

import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.ModelSource;
import io.sluice.spi.StreamingModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A speech synthesiser with the shared tensor contract (see {@link SpeechRequest}): whole texts for
 * {@code infer}, one WAV per sentence for {@code inferStream}. Implementations only {@link #speak}.
 */
interface SentenceSpeaker extends StreamingModel {
  /**
   * OpenAI's stock voice names: clients must send one, and each speaks the model's default voice.
   */
  Set<String> OPENAI_VOICES =
      Set.of(
          "alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer",
          "verse", "marin", "cedar");

  /**
   * A mono 16-bit WAV of {@code text} at {@code speed} in {@code voice} (one of {@link #voices}).
   */
  byte[] speak(String text, float speed, String voice);

  /** The voices this model speaks, its default first. */
  List<String> voices();

  /**
   * The voice a request asked for: the default for none or one of OpenAI's names, else one of
   * {@link #voices}; anything else is an {@link InvalidInputException} listing them.
   */
  default String voice(String requested) {
    List<String> voices = voices();
    if (requested == null || OPENAI_VOICES.contains(requested.toLowerCase(Locale.ROOT))) {
      return voices.getFirst();
    }
    for (String voice : voices) {
      if (voice.equalsIgnoreCase(requested)) {
        return voice;
      }
    }
    throw new InvalidInputException(
        "voice '"
            + requested
            + "' is not one of this model's voices: "
            + voices
            + " (OpenAI's voice names speak "
            + voices.getFirst()
            + ")");
  }

  /** The language sentences are split by. */
  Locale locale();

  /**
   * Inputs {@code text} BYTES {@code [1]}, optional {@code speed} FP32 {@code [1]} and optional
   * {@code voice} BYTES {@code [1]}; output {@code audio} BYTES {@code [1]}.
   */
  static ModelMetadata metadata(ModelSource source, String platform) {
    return new ModelMetadata(
        source.name(),
        List.of(source.version()),
        platform,
        List.of(
            new TensorMetadata("text", DataType.BYTES, new long[] {1}),
            new TensorMetadata("speed", DataType.FP32, new long[] {1}, true),
            new TensorMetadata("voice", DataType.BYTES, new long[] {1}, true)),
        List.of(new TensorMetadata("audio", DataType.BYTES, new long[] {1})));
  }

  /** The whole text as one WAV, spoken piece by piece ({@link Sentences}) and joined. */
  @Override
  default List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    SpeechRequest request = SpeechRequest.of(inputs);
    String voice = voice(request.voice());
    List<String> pieces = Sentences.split(request.text(), locale());
    if (pieces.size() <= 1) {
      return List.of(audio(speak(request.text(), request.speed(), voice)));
    }
    List<Pcm16> spoken = new ArrayList<>();
    int samples = 0;
    for (String piece : pieces) {
      Pcm16 pcm = Pcm16.wav(speak(piece, request.speed(), voice));
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
    String voice = voice(request.voice());
    for (String sentence : Sentences.split(request.text(), locale())) {
      if (cancelled.getAsBoolean()) {
        return;
      }
      onChunk.accept(List.of(audio(speak(sentence, request.speed(), voice))));
    }
  }

  private static Tensor audio(byte[] wav) {
    return Tensor.ofBytes("audio", new long[] {1}, List.of(wav));
  }
}
