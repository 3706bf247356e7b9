package io.sluice.runtime.tts;

import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import marytts.LocalMaryInterface;
import marytts.exceptions.MaryConfigurationException;
import marytts.exceptions.SynthesisException;
import marytts.modules.synthesis.Voice;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Speech synthesis with MaryTTS (pure Java). {@code storageUri} is a MaryTTS voice jar, such as
 * {@code mvn://de.dfki.mary:voice-cmu-slt-hsmm:5.2.1}; the voice named inside it is the one spoken.
 * The tensor contract is {@link EspeakRuntime}'s: {@code text} BYTES {@code [1]} and optional
 * {@code speed} FP32 {@code [1]} (0.25-4) in, {@code audio} BYTES {@code [1]} (a mono 16-bit WAV)
 * out. Streamed, it speaks sentence by sentence, one WAV per sentence.
 *
 * <p>MaryTTS starts once per process ({@link MaryProcess}) with every voice on the class path; the
 * default voice, cmu-slt-hsmm, is a dependency of this module.
 */
public final class MaryRuntime implements ModelRuntime {
  private static final String SSML = "http://www.w3.org/2001/10/synthesis";

  @Override
  public String name() {
    return "marytts";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    String voice = MaryProcess.startWith(source.location());
    List<String> voices = new ArrayList<>(List.of(voice));
    for (Voice available : Voice.getAvailableVoices()) {
      if (!voices.contains(available.getName())) {
        voices.add(available.getName());
      }
    }
    return new Mary(
        SentenceSpeaker.metadata(source, "marytts"),
        List.copyOf(voices),
        Voice.getVoice(voice).getLocale());
  }

  /**
   * @param voices the voice of the storage's jar first, then the others MaryTTS has loaded
   */
  private record Mary(ModelMetadata metadata, List<String> voices, Locale locale)
      implements SentenceSpeaker {
    @Override
    public byte[] speak(String text, float speed, String voice) {
      try {
        // One interface per call: it holds per-request settings (voice, input type); MaryTTS's
        // modules are shared
        // and serve concurrent requests, as its own HTTP server does.
        LocalMaryInterface mary = new LocalMaryInterface();
        mary.setLocale(Voice.getVoice(voice).getLocale());
        mary.setVoice(voice);
        AudioInputStream audio;
        if (speed == 1f) {
          audio = mary.generateAudio(text);
        } else {
          // MaryTTS predicts durations before synthesis, where only SSML prosody reaches them.
          mary.setInputType("SSML");
          audio = mary.generateAudio(ssml(text, speed));
        }
        return wav(audio);
      } catch (SynthesisException e) {
        throw new InferenceFailedException(
            "MaryTTS could not speak this text: " + e.getMessage(), e);
      } catch (MaryConfigurationException | IOException e) {
        throw new InferenceFailedException("MaryTTS failed: " + e.getMessage(), e);
      }
    }

    /** {@code <speak><prosody rate="+N%">text</prosody></speak>}. */
    private Document ssml(String text, float speed) {
      try {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        Document document = factory.newDocumentBuilder().newDocument();
        Element speak = document.createElementNS(SSML, "speak");
        speak.setAttribute("version", "1.0");
        speak.setAttributeNS(XMLConstants.XML_NS_URI, "xml:lang", locale.toLanguageTag());
        Element prosody = document.createElementNS(SSML, "prosody");
        prosody.setAttribute(
            "rate", String.format(Locale.ROOT, "%+d%%", Math.round((speed - 1) * 100)));
        prosody.setTextContent(text);
        speak.appendChild(prosody);
        document.appendChild(speak);
        return document;
      } catch (ParserConfigurationException e) {
        throw new IllegalStateException("no XML DOM in this JDK", e);
      }
    }

    private static byte[] wav(AudioInputStream audio) throws IOException {
      AudioFormat format = audio.getFormat();
      if (format.getSampleSizeInBits() != 16
          || format.getChannels() != 1
          || format.getEncoding() != AudioFormat.Encoding.PCM_SIGNED) {
        throw new InferenceFailedException("MaryTTS produced " + format + ", not 16-bit mono PCM");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      AudioSystem.write(audio, AudioFileFormat.Type.WAVE, out);
      return out.toByteArray();
    }

    @Override
    public void close() {
      // MaryTTS cannot be shut down and started again in one process; its modules stay for the next
      // load.
    }
  }
}
