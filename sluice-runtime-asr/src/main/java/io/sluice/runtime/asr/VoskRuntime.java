package io.sluice.runtime.asr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.vosk.LibVosk;
import org.vosk.LogLevel;
import org.vosk.Model;
import org.vosk.Recognizer;

/**
 * Speech recognition with Vosk (Kaldi), the {@link SpeechRecognition} tensor contract. Native code:
 * run it with {@code hosting: worker}. {@code storageUri} is the model directory, e.g. {@code
 * mvn://com.alphacephei:vosk-model-en:0.3.45:aar!/assets/model-en-us}.
 */
public final class VoskRuntime implements ModelRuntime {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public String name() {
    return "vosk";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    if (!Files.isDirectory(source.location().resolve("am"))
        || !Files.isDirectory(source.location().resolve("conf"))) {
      throw new ModelLoadException(
          source.location() + " is not a Vosk model directory (no am/ and conf/)");
    }
    try {
      LibVosk.setLogLevel(LogLevel.WARNINGS);
      Model model = new Model(source.location().toString());
      return new VoskModel(source, model);
    } catch (IOException | RuntimeException | LinkageError e) {
      throw new ModelLoadException(
          "Vosk cannot load " + source.location() + ": " + e.getMessage(), e);
    }
  }

  private record VoskModel(ModelMetadata metadata, Model model) implements LoadedModel {
    VoskModel(ModelSource source, Model model) {
      this(SpeechRecognition.metadata(source, "vosk"), model);
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      // Mono at its own rate: Kaldi's resampler (inside the recognizer) does the rest.
      Pcm16 pcm = SpeechRecognition.audio(inputs);
      JsonNode result;
      try (Recognizer recognizer = new Recognizer(model, pcm.sampleRate())) {
        recognizer.setWords(true);
        byte[] bytes = pcm.rawBytes();
        recognizer.acceptWaveForm(bytes, bytes.length);
        result = MAPPER.readTree(recognizer.getFinalResult());
      } catch (IOException | RuntimeException e) {
        throw new InferenceFailedException("Vosk failed: " + e.getMessage(), e);
      }
      List<SpeechRecognition.Word> words = new ArrayList<>();
      for (JsonNode word : result.path("result")) {
        words.add(
            new SpeechRecognition.Word(
                word.path("word").asText(),
                word.path("start").asDouble(),
                word.path("end").asDouble()));
      }
      return SpeechRecognition.outputs(
          result.path("text").asText(""), words, pcm.seconds(), outputNames);
    }

    @Override
    public void close() {
      model.close();
    }
  }
}
