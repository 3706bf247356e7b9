package io.sluice.runtime.asr;

import io.github.givimad.whisperjni.WhisperContext;
import io.github.givimad.whisperjni.WhisperFullParams;
import io.github.givimad.whisperjni.WhisperJNI;
import io.github.givimad.whisperjni.WhisperSamplingStrategy;
import io.github.givimad.whisperjni.WhisperState;
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

/**
 * Speech recognition with whisper.cpp ({@code io.github.givimad:whisper-jni}), the {@link
 * SpeechRecognition} tensor contract. {@code storageUri} is a Whisper model in whisper.cpp's ggml
 * format ({@code ggml-base.en.bin} and the like). Native code: run it with {@code hosting: worker}.
 * Settings: {@code language} (default {@code en}; {@code auto} detects it), {@code threads}
 * (default: CPU count), {@code beamSize} (default 0: greedy decoding; 2 or more: beam search).
 * Whisper gives timestamps per segment, so each word's start and end are spread over its segment by
 * character count: approximate, unlike Vosk's.
 */
public final class WhisperCppRuntime implements ModelRuntime {
  private static boolean libraryLoaded;

  @Override
  public String name() {
    return "whisper-cpp";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    if (!Files.isRegularFile(source.location())) {
      throw new ModelLoadException("no such whisper.cpp model file: " + source.location());
    }
    int threads = source.intSetting("threads", Runtime.getRuntime().availableProcessors(), 1);
    int beamSize = source.intSetting("beamSize", 0, 0);
    String language = source.settings().getOrDefault("language", "en");
    loadLibrary();
    WhisperJNI whisper = new WhisperJNI();
    WhisperContext context;
    try {
      context = whisper.initNoState(source.location());
    } catch (IOException | RuntimeException e) {
      throw new ModelLoadException(
          "whisper.cpp cannot load " + source.location() + ": " + e.getMessage(), e);
    }
    if (context == null) {
      throw new ModelLoadException(
          "whisper.cpp cannot load " + source.location() + " (not a whisper.cpp ggml model?)");
    }
    return new WhisperModel(
        SpeechRecognition.metadata(source, "whisper_cpp"),
        whisper,
        context,
        threads,
        beamSize,
        language);
  }

  private static synchronized void loadLibrary() throws ModelLoadException {
    if (!libraryLoaded) {
      try {
        WhisperJNI.loadLibrary();
        WhisperJNI.setLibraryLogger(
            message -> {}); // whisper.cpp reports every load and run on stderr
        libraryLoaded = true;
      } catch (IOException | LinkageError e) {
        throw new ModelLoadException(
            "the whisper.cpp native library does not load here: " + e.getMessage(), e);
      }
    }
  }

  private record WhisperModel(
      ModelMetadata metadata,
      WhisperJNI whisper,
      WhisperContext context,
      int threads,
      int beamSize,
      String language)
      implements LoadedModel {
    /** whisper.cpp reports segment times in hundredths of a second. */
    private static final double TIME_UNIT = 0.01;

    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      Pcm16 pcm = SpeechRecognition.audio(inputs).resample(SpeechRecognition.SAMPLE_RATE);
      float[] samples = new float[pcm.samples().length];
      for (int i = 0; i < samples.length; i++) {
        samples[i] = pcm.samples()[i] / 32768f;
      }
      // One state per request: the context (weights) is shared, a state holds one decoding's
      // buffers.
      WhisperState state = whisper.initState(context);
      if (state == null) {
        throw new InferenceFailedException("whisper.cpp could not allocate a decoding state");
      }
      try {
        WhisperFullParams params =
            new WhisperFullParams(
                beamSize > 1
                    ? WhisperSamplingStrategy.BEAN_SEARCH
                    : WhisperSamplingStrategy.GREEDY);
        params.nThreads = threads;
        params.language = language;
        params.beamSearchBeamSize = Math.max(beamSize, 2);
        params.printProgress = false;
        params.printRealtime = false;
        params.printTimestamps = false;
        int status = whisper.fullWithState(context, state, params, samples, samples.length);
        if (status != 0) {
          throw new InferenceFailedException(
              "whisper.cpp failed to transcribe (status " + status + ")");
        }
        StringBuilder text = new StringBuilder();
        List<SpeechRecognition.Word> words = new ArrayList<>();
        int segments = whisper.fullNSegmentsFromState(state);
        for (int i = 0; i < segments; i++) {
          String segment = whisper.fullGetSegmentTextFromState(state, i).strip();
          double start = whisper.fullGetSegmentTimestamp0FromState(state, i) * TIME_UNIT;
          double end = whisper.fullGetSegmentTimestamp1FromState(state, i) * TIME_UNIT;
          if (!segment.isEmpty()) {
            text.append(text.isEmpty() ? "" : " ").append(segment);
            spread(segment, start, end, words);
          }
        }
        return SpeechRecognition.outputs(text.toString(), words, pcm.seconds(), outputNames);
      } finally {
        whisper.free(state);
      }
    }

    /** The segment's words, each given a share of the segment's time proportional to its length. */
    private static void spread(
        String segment, double start, double end, List<SpeechRecognition.Word> words) {
      String[] parts = segment.split("\\s+");
      int characters = 0;
      for (String part : parts) {
        characters += part.length();
      }
      double at = start;
      for (String part : parts) {
        double length = characters == 0 ? 0 : (end - start) * part.length() / characters;
        words.add(new SpeechRecognition.Word(part, at, at + length));
        at += length;
      }
    }

    @Override
    public void close() {
      whisper.free(context);
    }
  }
}
