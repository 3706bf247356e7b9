package io.sluice.runtime.asr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;
import org.vosk.Recognizer;

/**
 * Speech recognition with Vosk (Kaldi). Native code: run it with {@code hosting: worker}. The tensor
 * contract, which {@code /v1/audio/transcriptions} relies on: input {@code audio} BYTES {@code [1]} (a WAV
 * file, any rate and channels, or raw 16 kHz 16-bit mono PCM); outputs {@code text} BYTES {@code [1]},
 * {@code words} BYTES {@code [1]} (JSON {@code [{"word","start","end"}]}, seconds) and {@code duration}
 * FP32 {@code [1]} (seconds of audio). {@code storageUri} is the model directory, e.g.
 * {@code mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us}.
 */
public final class VoskRuntime implements ModelRuntime {
  static final int SAMPLE_RATE = 16_000;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public String name() {
    return "vosk";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    if (!Files.isDirectory(source.location().resolve("am")) || !Files.isDirectory(source.location().resolve("conf"))) {
      throw new ModelLoadException(source.location() + " is not a Vosk model directory (no am/ and conf/)");
    }
    try {
      LibVosk.setLogLevel(LogLevel.WARNINGS);
      Model model = new Model(source.location().toString());
      return new VoskModel(source, model);
    } catch (IOException | RuntimeException | LinkageError e) {
      throw new ModelLoadException("Vosk cannot load " + source.location() + ": " + e.getMessage(), e);
    }
  }

  private record VoskModel(ModelMetadata metadata, Model model) implements LoadedModel {
    VoskModel(ModelSource source, Model model) {
      this(new ModelMetadata(source.name(), List.of(source.version()), "vosk",
          List.of(new TensorMetadata("audio", DataType.BYTES, new long[] {1})),
          List.of(new TensorMetadata("text", DataType.BYTES, new long[] {1}),
              new TensorMetadata("words", DataType.BYTES, new long[] {1}),
              new TensorMetadata("duration", DataType.FP32, new long[] {1}))), model);
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      byte[] audio = inputs.get(0).bytesElements().get(0);
      if (audio.length == 0) {
        throw new InvalidInputException("the audio is empty");
      }
      // Mono at its own rate: Kaldi's resampler (inside the recognizer) filters properly; a linear one aliases.
      Pcm16 pcm = Pcm16.isWav(audio) ? Pcm16.wav(audio) : Pcm16.raw(audio, SAMPLE_RATE);
      if (pcm.samples().length == 0) {
        throw new InvalidInputException("the audio holds no samples");
      }
      JsonNode result;
      try (Recognizer recognizer = new Recognizer(model, pcm.sampleRate())) {
        recognizer.setWords(true);
        byte[] bytes = pcm.rawBytes();
        recognizer.acceptWaveForm(bytes, bytes.length);
        result = MAPPER.readTree(recognizer.getFinalResult());
      } catch (IOException | RuntimeException e) {
        throw new InferenceFailedException("Vosk failed: " + e.getMessage(), e);
      }
      ArrayNode words = MAPPER.createArrayNode();
      for (JsonNode word : result.path("result")) {
        words.addObject().put("word", word.path("word").asText())
            .put("start", word.path("start").asDouble()).put("end", word.path("end").asDouble());
      }
      String text = result.path("text").asText("");
      ByteBuffer duration = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat((float) pcm.seconds()).flip();
      java.util.Map<String, Tensor> outputs = java.util.Map.of(
          "text", Tensor.ofBytes("text", new long[] {1}, List.of(text.getBytes(StandardCharsets.UTF_8))),
          "words", Tensor.ofBytes("words", new long[] {1}, List.of(words.toString().getBytes(StandardCharsets.UTF_8))),
          "duration", Tensor.of("duration", DataType.FP32, new long[] {1}, duration));
      return outputNames.stream().map(outputs::get).toList();
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
