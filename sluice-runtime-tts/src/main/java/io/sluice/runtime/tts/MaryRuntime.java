package io.sluice.runtime.tts;

import io.sluice.api.DataType;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.Tensor;
import io.sluice.api.TensorMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import marytts.LocalMaryInterface;
import marytts.exceptions.MaryConfigurationException;
import marytts.exceptions.SynthesisException;
import marytts.modules.synthesis.Voice;

/**
 * Speech synthesis with MaryTTS (pure Java). {@code storageUri} is a MaryTTS voice jar, such as
 * {@code mvn://de.dfki.mary:voice-cmu-slt-hsmm:5.2.1}; the voice named inside it is the one spoken. The
 * tensor contract is {@link EspeakRuntime}'s: {@code text} BYTES {@code [1]} and optional {@code speed} FP32
 * {@code [1]} (0.25-4) in, {@code audio} BYTES {@code [1]} (a mono 16-bit WAV) out.
 *
 * <p>MaryTTS starts once per process ({@link MaryProcess}) with every voice on the class path; the default
 * voice, cmu-slt-hsmm, is a dependency of this module.
 */
public final class MaryRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "marytts";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    String voice = MaryProcess.startWith(source.location());
    return new Mary(new ModelMetadata(source.name(), List.of(source.version()), "marytts",
        List.of(new TensorMetadata("text", DataType.BYTES, new long[] {1}),
            new TensorMetadata("speed", DataType.FP32, new long[] {1}, true)),
        List.of(new TensorMetadata("audio", DataType.BYTES, new long[] {1}))), voice, Voice.getVoice(voice).getLocale());
  }

  private record Mary(ModelMetadata metadata, String voice, Locale locale) implements LoadedModel {
    @Override
    public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
      SpeechRequest request = SpeechRequest.of(inputs);
      try {
        // One interface per call: it holds per-request settings (voice, effects); MaryTTS's modules are shared
        // and serve concurrent requests, as its own HTTP server does.
        LocalMaryInterface mary = new LocalMaryInterface();
        mary.setLocale(locale);
        mary.setVoice(voice);
        if (request.speed() != 1f) {
          // Rate scales HMM state durations: a duration factor of 1/speed.
          mary.setAudioEffects(String.format(Locale.ROOT, "Rate(durScale:%.3f)", 1f / request.speed()));
        }
        AudioInputStream audio = mary.generateAudio(request.text());
        return List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(wav(audio))));
      } catch (SynthesisException e) {
        throw new InferenceFailedException("MaryTTS could not speak this text: " + e.getMessage(), e);
      } catch (MaryConfigurationException | IOException e) {
        throw new InferenceFailedException("MaryTTS failed: " + e.getMessage(), e);
      }
    }

    private static byte[] wav(AudioInputStream audio) throws IOException {
      AudioFormat format = audio.getFormat();
      if (format.getSampleSizeInBits() != 16 || format.getChannels() != 1 || format.getEncoding() != AudioFormat.Encoding.PCM_SIGNED) {
        throw new InferenceFailedException("MaryTTS produced " + format + ", not 16-bit mono PCM");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      AudioSystem.write(audio, AudioFileFormat.Type.WAVE, out);
      return out.toByteArray();
    }

    @Override
    public void close() {
      // MaryTTS cannot be shut down and started again in one process; its modules stay for the next load.
    }
  }
}
