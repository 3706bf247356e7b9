package io.sluice.runtime.tts;

import io.sluice.api.InferenceFailedException;
import io.sluice.api.ModelMetadata;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Speech synthesis with espeak-ng (Debian package {@code espeak-ng}), one process per request. The
 * tensor contract, which {@code /v1/audio/speech} relies on: inputs {@code text} BYTES {@code [1]}
 * and optional {@code speed} FP32 {@code [1]} (0.25-4, default 1); output {@code audio} BYTES
 * {@code [1]}, a mono 16-bit WAV file; streamed, one WAV per sentence. {@code storageUri} is
 * espeak-ng's data directory (its voices); settings {@code voice} (default {@code en-us}) and
 * {@code wordsPerMinute} (default 175, scaled by speed).
 */
public final class EspeakRuntime implements ModelRuntime {
  @Override
  public String name() {
    return "espeak";
  }

  @Override
  public LoadedModel load(ModelSource source) throws ModelLoadException {
    String binary = source.settings().getOrDefault("binary", "espeak-ng");
    try {
      Process probe = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
      String version =
          new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!probe.waitFor(10, TimeUnit.SECONDS) || probe.exitValue() != 0) {
        throw new ModelLoadException(binary + " --version failed: " + version);
      }
    } catch (IOException e) {
      throw new ModelLoadException(
          binary + " is not installed (Debian: apt-get install espeak-ng)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while probing " + binary);
    }
    Path data = source.location();
    if (!Files.isDirectory(data)) {
      throw new ModelLoadException(data + " is not espeak-ng's data directory");
    }
    int wordsPerMinute = source.intSetting("wordsPerMinute", 175, 20);
    String voice = source.settings().getOrDefault("voice", "en-us");
    List<String> voices = new ArrayList<>(List.of(voice));
    for (String language : languages(binary, data)) {
      if (!voices.contains(language)) {
        voices.add(language);
      }
    }
    return new Espeak(
        SentenceSpeaker.metadata(source, "espeak-ng"),
        binary,
        data,
        List.copyOf(voices),
        wordsPerMinute);
  }

  /** The languages {@code espeak-ng --voices} lists (its second column), each a voice name. */
  private static List<String> languages(String binary, Path data) throws ModelLoadException {
    List<String> command = withPath(new ArrayList<>(List.of(binary, "--voices")), data);
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String listing = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new ModelLoadException(binary + " --voices failed: " + listing.strip());
      }
      return listing
          .lines()
          .skip(1)
          .map(line -> line.strip().split("\\s+"))
          .filter(columns -> columns.length > 1)
          .map(columns -> columns[1])
          .toList();
    } catch (IOException e) {
      throw new ModelLoadException("cannot run " + binary + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ModelLoadException("interrupted while listing espeak-ng's voices");
    }
  }

  /** Points espeak-ng at {@code data} when it is a data directory of its own name. */
  private static List<String> withPath(List<String> command, Path data) {
    Path parent =
        data.getFileName() != null && data.getFileName().toString().equals("espeak-ng-data")
            ? data.getParent()
            : null;
    if (parent != null) {
      command.add(1, "--path=" + parent);
    }
    return command;
  }

  /**
   * @param voices the configured voice first, then every language espeak-ng speaks
   */
  private record Espeak(
      ModelMetadata metadata, String binary, Path data, List<String> voices, int wordsPerMinute)
      implements SentenceSpeaker {
    @Override
    public Locale locale() {
      return Locale.forLanguageTag(voices.getFirst());
    }

    @Override
    public byte[] speak(String text, float speed, String voice) {
      List<String> command =
          withPath(
              new ArrayList<>(
                  List.of(
                      binary,
                      "-v",
                      voice,
                      "-s",
                      Integer.toString(Math.round(wordsPerMinute * speed)),
                      "--stdout",
                      "--stdin")),
              data);
      try {
        Process process =
            new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream stdin = process.getOutputStream()) {
          stdin.write(text.getBytes(StandardCharsets.UTF_8));
        }
        byte[] wav = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || wav.length < 44) {
          process.destroyForcibly();
          throw new InferenceFailedException(
              "espeak-ng failed (exit "
                  + (process.isAlive() ? "timeout" : process.exitValue())
                  + ")");
        }
        return wav;
      } catch (IOException e) {
        throw new InferenceFailedException("cannot run espeak-ng: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InferenceFailedException("interrupted while speaking");
      }
    }

    @Override
    public void close() {}
  }
}
