package io.sluice.runtime.tts;

import io.sluice.spi.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import marytts.LocalMaryInterface;
import marytts.exceptions.MaryConfigurationException;
import marytts.modules.synthesis.Voice;

/**
 * MaryTTS's start-up, which happens once per process: MaryTTS keeps its modules and voices in
 * static state and starts every voice it finds on the class path (it reads voice data as class-path
 * resources, so a voice cannot come from another class loader).
 */
final class MaryProcess {
  private static final String LOG_CONFIG = "log.config";
  private static boolean started;

  private MaryProcess() {}

  /**
   * Starts MaryTTS with the voice in {@code voiceJar} (if it has not started yet).
   *
   * @return the voice's name
   */
  static synchronized String startWith(Path voiceJar) throws ModelLoadException {
    String voice = voiceName(voiceJar);
    if (!started) {
      if (System.getProperty(LOG_CONFIG) == null) {
        // MaryTTS reads its settings from system properties first; its default logs to files under
        // its base folder.
        System.setProperty(LOG_CONFIG, "jar:/io/sluice/runtime/tts/marytts-log4j.properties");
      }
      try {
        new LocalMaryInterface();
        started = true;
      } catch (MaryConfigurationException | RuntimeException e) {
        throw new ModelLoadException("MaryTTS did not start: " + e.getMessage(), e);
      }
    }
    if (Voice.getVoice(voice) == null) {
      throw new ModelLoadException(
          "MaryTTS has no voice "
              + voice
              + ": MaryTTS loads voices from the class path, so put "
              + voiceJar.getFileName()
              + " there (sluice-server/target/lib, or a Maven dependency of sluice-runtime-tts)");
    }
    return voice;
  }

  /** The {@code name} in the voice jar's {@code marytts/voice/<Voice>/voice.config}. */
  static String voiceName(Path voiceJar) throws ModelLoadException {
    if (!Files.isRegularFile(voiceJar)) {
      throw new ModelLoadException(
          voiceJar + " is not a MaryTTS voice jar (storageUri mvn://de.dfki.mary:voice-...)");
    }
    try (ZipFile jar = new ZipFile(voiceJar.toFile())) {
      Enumeration<? extends ZipEntry> entries = jar.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        if (entry.getName().matches("marytts/voice/[^/]+/voice\\.config")) {
          Properties config = new Properties();
          try (InputStream in = jar.getInputStream(entry)) {
            config.load(in);
          }
          String name = config.getProperty("name");
          if (name != null && !name.isBlank()) {
            return name.trim();
          }
        }
      }
    } catch (IOException e) {
      throw new ModelLoadException(voiceJar + " cannot be read as a jar: " + e.getMessage(), e);
    }
    throw new ModelLoadException(
        voiceJar + " holds no marytts/voice/*/voice.config: not a MaryTTS voice");
  }
}
