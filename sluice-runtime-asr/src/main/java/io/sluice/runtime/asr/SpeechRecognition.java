package io.sluice.runtime.asr;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sluice.api.DataType;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.ModelSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The tensor contract every speech-recognition runtime shares, which {@code
 * /v1/audio/transcriptions} relies on: input {@code audio} BYTES {@code [1]} (a WAV file, any rate
 * and channels, or raw 16 kHz 16-bit mono PCM); outputs {@code text} BYTES {@code [1]}, {@code
 * words} BYTES {@code [1]} (JSON {@code [{"word","start","end"}]}, seconds) and {@code duration}
 * FP32 {@code [1]} (seconds of audio).
 */
final class SpeechRecognition {
  static final int SAMPLE_RATE = 16_000;

  private SpeechRecognition() {}

  /** One recognised word and where it lies in the audio, in seconds. */
  record Word(String word, double start, double end) {}

  static ModelMetadata metadata(ModelSource source, String platform) {
    return new ModelMetadata(
        source.name(),
        List.of(source.version()),
        platform,
        List.of(new TensorMetadata("audio", DataType.BYTES, new long[] {1})),
        List.of(
            new TensorMetadata("text", DataType.BYTES, new long[] {1}),
            new TensorMetadata("words", DataType.BYTES, new long[] {1}),
            new TensorMetadata("duration", DataType.FP32, new long[] {1})));
  }

  /** The request's audio, mono at its own rate; empty or unreadable audio is the client's error. */
  static Pcm16 audio(List<Tensor> inputs) {
    byte[] audio = inputs.get(0).bytesElements().get(0);
    if (audio.length == 0) {
      throw new InvalidInputException("the audio is empty");
    }
    Pcm16 pcm = Pcm16.isWav(audio) ? Pcm16.wav(audio) : Pcm16.raw(audio, SAMPLE_RATE);
    if (pcm.samples().length == 0) {
      throw new InvalidInputException("the audio holds no samples");
    }
    return pcm;
  }

  /** The outputs asked for, in the order asked. */
  static List<Tensor> outputs(
      String text, List<Word> words, double seconds, List<String> outputNames) {
    ArrayNode json = JsonNodeFactory.instance.arrayNode();
    for (Word word : words) {
      json.addObject().put("word", word.word()).put("start", word.start()).put("end", word.end());
    }
    ByteBuffer duration =
        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) seconds).flip();
    Map<String, Tensor> outputs =
        Map.of(
            "text",
                Tensor.ofBytes(
                    "text", new long[] {1}, List.of(text.getBytes(StandardCharsets.UTF_8))),
            "words",
                Tensor.ofBytes(
                    "words",
                    new long[] {1},
                    List.of(json.toString().getBytes(StandardCharsets.UTF_8))),
            "duration", Tensor.of("duration", DataType.FP32, new long[] {1}, duration));
    return outputNames.stream().map(outputs::get).toList();
  }
}
