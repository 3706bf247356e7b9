package io.sluice.runtime.tts;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.audio.Pcm16;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Neural speech synthesis with Piper voices (VITS in ONNX, run by ONNX Runtime): {@code storageUri}
 * is a voice's {@code model.onnx} (with {@code model.onnx.json} beside it) or a folder holding one,
 * e.g. {@code hf://rhasspy/piper-voices/en/en_US/lessac/medium}. The text is turned into phonemes
 * by espeak-ng ({@link Phonemizer}, the voice's {@code espeak.voice}), the phonemes into ids by the
 * voice's {@code phoneme_id_map} as Piper does (BOS, each phoneme followed by PAD, EOS), and the
 * model speaks them with the voice's {@code inference} scales ({@code length_scale} divided by the
 * request's speed); the audio is scaled to its peak, as Piper does. A multi-speaker voice's
 * speakers are its voices ({@code speaker_id_map}; settings {@code speaker} picks the default).
 * Same tensor contract as the other speech runtimes, streamed by sentence.
 */
public final class PiperRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "piper";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    Path model = onnxFile(source.location());
    Path configFile = model.resolveSibling(model.getFileName() + ".json");
    JsonNode config;
    try {
      config = new ObjectMapper().readTree(configFile.toFile());
    } catch (IOException e) {
      throw new ModelLoadException(
          "a Piper voice needs its configuration " + configFile + ": " + e.getMessage());
    }
    VoiceConfig voice = VoiceConfig.of(config, source.settings().get("speaker"));
    Phonemizer phonemizer =
        new Phonemizer(source.settings().getOrDefault("binary", "espeak-ng"), voice.espeakVoice());
    OrtEnvironment environment = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(source.intSetting("threads", 1, 1));
      OrtSession session = environment.createSession(model.toString(), options);
      return new Piper(
          SentenceSpeaker.metadata(source, "piper"), environment, session, voice, phonemizer);
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime cannot load " + model + ": " + e.getMessage());
    }
  }

  private static Path onnxFile(Path location) throws ModelLoadException {
    if (Files.isRegularFile(location)) {
      return location;
    }
    try (Stream<Path> files = Files.walk(location, 4)) {
      List<Path> models =
          files.filter(file -> file.getFileName().toString().endsWith(".onnx")).sorted().toList();
      if (models.size() != 1) {
        throw new ModelLoadException(
            location + " should hold one Piper voice (an .onnx file), found " + models);
      }
      return models.getFirst();
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + location + ": " + e.getMessage());
    }
  }

  /** What a voice's {@code model.onnx.json} says, as Piper reads it. */
  record VoiceConfig(
      int sampleRate,
      String espeakVoice,
      float noiseScale,
      float lengthScale,
      float noiseW,
      Map<String, long[]> phonemeIds,
      List<String> speakers,
      Map<String, Long> speakerIds) {
    static VoiceConfig of(JsonNode config, String defaultSpeaker) throws ModelLoadException {
      JsonNode map = config.path("phoneme_id_map");
      if (!map.isObject() || !map.has("^") || !map.has("$") || !map.has("_")) {
        throw new ModelLoadException(
            "the voice's phoneme_id_map must hold BOS '^', EOS '$' and PAD '_'");
      }
      Map<String, long[]> ids = new HashMap<>();
      map.properties()
          .forEach(
              entry -> {
                long[] values = new long[entry.getValue().size()];
                for (int i = 0; i < values.length; i++) {
                  values[i] = entry.getValue().get(i).asLong();
                }
                ids.put(entry.getKey(), values);
              });
      Map<String, Long> speakerIds = new HashMap<>();
      config
          .path("speaker_id_map")
          .properties()
          .forEach(e -> speakerIds.put(e.getKey(), e.getValue().asLong()));
      List<String> speakers = new ArrayList<>(speakerIds.keySet());
      speakers.sort(Comparator.comparing(speakerIds::get));
      String espeakVoice = config.path("espeak").path("voice").asText("en-us");
      if (config.path("num_speakers").asInt(1) <= 1 || speakers.isEmpty()) {
        speakers = List.of(espeakVoice);
        speakerIds.clear();
      } else if (defaultSpeaker != null) {
        if (!speakers.remove(defaultSpeaker)) {
          throw new ModelLoadException(
              "settings.speaker '" + defaultSpeaker + "' is not one of the voice's " + speakers);
        }
        speakers.addFirst(defaultSpeaker);
      }
      JsonNode inference = config.path("inference");
      return new VoiceConfig(
          config.path("audio").path("sample_rate").asInt(22_050),
          espeakVoice,
          (float) inference.path("noise_scale").asDouble(0.667),
          (float) inference.path("length_scale").asDouble(1),
          (float) inference.path("noise_w").asDouble(0.8),
          Map.copyOf(ids),
          List.copyOf(speakers),
          Map.copyOf(speakerIds));
    }

    /** Piper's ids for phonemes: BOS, each phoneme then PAD, EOS; unknown phonemes left out. */
    long[] ids(List<String> phonemes) {
      List<Long> out = new ArrayList<>();
      add(out, "^");
      for (String phoneme : phonemes) {
        if (phonemeIds.containsKey(phoneme)) {
          add(out, phoneme);
          add(out, "_");
        }
      }
      add(out, "$");
      return out.stream().mapToLong(Long::longValue).toArray();
    }

    private void add(List<Long> out, String phoneme) {
      for (long id : phonemeIds.get(phoneme)) {
        out.add(id);
      }
    }
  }

  private record Piper(
      ModelMetadata metadata,
      OrtEnvironment environment,
      OrtSession session,
      VoiceConfig voice,
      Phonemizer phonemizer)
      implements SentenceSpeaker {
    @Override
    public Locale locale() {
      return Locale.forLanguageTag(voice.espeakVoice());
    }

    @Override
    public List<String> voices() {
      return voice.speakers();
    }

    @Override
    public byte[] speak(String text, float speed, String speaker) {
      long[] ids = voice.ids(phonemizer.phonemes(text));
      Map<String, OnnxTensor> inputs = new HashMap<>();
      try {
        inputs.put("input", OnnxTensor.createTensor(environment, new long[][] {ids}));
        inputs.put("input_lengths", OnnxTensor.createTensor(environment, new long[] {ids.length}));
        inputs.put(
            "scales",
            OnnxTensor.createTensor(
                environment,
                new float[] {voice.noiseScale(), voice.lengthScale() / speed, voice.noiseW()}));
        Long speakerId = voice.speakerIds().get(speaker);
        if (speakerId != null) {
          inputs.put("sid", OnnxTensor.createTensor(environment, new long[] {speakerId}));
        }
        try (OrtSession.Result result = session.run(inputs)) {
          float[] audio = flatten(result.get(0).getValue());
          return new Pcm16(toInt16(audio), voice.sampleRate()).wavBytes();
        }
      } catch (OrtException e) {
        throw new InferenceFailedException("the Piper voice failed: " + e.getMessage(), e);
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }

    /** The model's {@code [1, 1, samples]} (or {@code [1, samples]}) output as one array. */
    private static float[] flatten(Object value) {
      Object level = value;
      while (level instanceof Object[] outer && outer.length == 1) {
        level = outer[0];
      }
      if (level instanceof float[] samples) {
        return samples;
      }
      throw new InferenceFailedException("a Piper voice's output is [1, 1, samples] FP32");
    }

    /** Piper's scaling: the peak becomes full scale (at least 0.01 is taken as the peak). */
    private static short[] toInt16(float[] audio) {
      float peak = 0.01f;
      for (float sample : audio) {
        peak = Math.max(peak, Math.abs(sample));
      }
      short[] samples = new short[audio.length];
      for (int i = 0; i < audio.length; i++) {
        float scaled = audio[i] * (32767f / peak);
        samples[i] = (short) Math.max(-32768, Math.min(32767, Math.round(scaled)));
      }
      return samples;
    }

    @Override
    public void close() {
      try {
        session.close();
      } catch (OrtException e) {
        // closing twice or after a failure: nothing left to free
      }
    }
  }
}
