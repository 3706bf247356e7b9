package io.sluice.runtime.tts;

import io.sluice.api.InferenceFailedException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Text to phonemes with espeak-ng's command ({@code -q --ipa}), as Piper's voices were trained on:
 * its IPA, decomposed (NFD) into code points, one phoneme each; clauses and words joined by a
 * space. Piper itself calls libespeak-ng and keeps clause punctuation; the command gives the same
 * phonemes without it.
 */
final class Phonemizer {
  private final String binary;
  private final String voice;

  Phonemizer(String binary, String voice) {
    this.binary = binary;
    this.voice = voice;
  }

  List<String> phonemes(String text) {
    String ipa = ipa(text);
    List<String> phonemes = new ArrayList<>();
    Normalizer.normalize(ipa, Normalizer.Form.NFD)
        .codePoints()
        .forEach(point -> phonemes.add(Character.toString(point)));
    return phonemes;
  }

  /** espeak-ng's IPA for {@code text}, its lines (clauses) joined by a space. */
  String ipa(String text) {
    try {
      Process process =
          new ProcessBuilder(binary, "-q", "--ipa", "-v", voice, "--stdin")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (OutputStream stdin = process.getOutputStream()) {
        stdin.write(text.getBytes(StandardCharsets.UTF_8));
      }
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new InferenceFailedException("espeak-ng could not phonemize the text");
      }
      return String.join(" ", out.strip().split("\\s*\\n\\s*"));
    } catch (IOException e) {
      throw new InferenceFailedException("cannot run " + binary + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InferenceFailedException("interrupted while phonemizing");
    }
  }
}
