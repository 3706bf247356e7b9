package io.sluice.runtime.llm.gguf;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A SentencePiece-style vocabulary for random-weight models: control tokens, the 256 byte tokens,
 * common English word pieces, then made-up syllable words up to the size asked for. Only "piece"
 * tokens should be sampled, so the writer gives the others zero output weights.
 */
final class Vocabulary {
  static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;
  private static final String[] WORDS =
      ("▁the ▁a ▁of ▁and ▁to ▁in ▁is ▁it ▁that ▁for ▁on ▁with ▁as ▁was ▁at ▁by"
              + " ▁be ▁this ▁from ▁or ▁an ▁are ▁not ▁but ▁we ▁you ▁all ▁can ▁one ▁has ▁more ▁will ▁model ▁serve ▁fast"
              + " ▁river ▁gate ▁water ▁flow ▁cat ▁dog ▁sun ▁moon ▁star ▁tree ▁sky ▁blue ▁red ▁green ▁hello ▁world ▁yes"
              + " ▁no ▁good ▁day ▁night . , ! ? s ed ing ly ▁")
          .split(" ");
  private static final String[] SYLLABLES = syllables();

  final List<String> tokens = new ArrayList<>();
  final List<Integer> types = new ArrayList<>();
  final List<Float> scores = new ArrayList<>();
  final int firstPiece;

  Vocabulary(List<String> controlTokens, int size) {
    add("<unk>", UNKNOWN, 0);
    for (String control : controlTokens) {
      add(control, CONTROL, 0);
    }
    for (int b = 0; b < 256; b++) {
      add(String.format("<0x%02X>", b), BYTE, 0);
    }
    firstPiece = tokens.size();
    for (String word : WORDS) {
      add(word, NORMAL, -tokens.size());
    }
    Set<String> taken = new HashSet<>(tokens);
    for (int n = 0; tokens.size() < size; n++) {
      String word = "▁" + madeUpWord(n);
      if (taken.add(word)) { // "▁gate" is both a word piece and two syllables
        add(word, NORMAL, -tokens.size());
      }
    }
  }

  int size() {
    return tokens.size();
  }

  int id(String token) {
    int id = tokens.indexOf(token);
    if (id < 0) {
      throw new IllegalArgumentException("no token " + token);
    }
    return id;
  }

  float[] scoreArray() {
    float[] array = new float[scores.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = scores.get(i);
    }
    return array;
  }

  int[] typeArray() {
    return types.stream().mapToInt(Integer::intValue).toArray();
  }

  private void add(String token, int type, float score) {
    tokens.add(token);
    types.add(type);
    scores.add(score);
  }

  /** Two or more syllables, distinct for every {@code n}. */
  private static String madeUpWord(int n) {
    StringBuilder word = new StringBuilder();
    int rest =
        n
            + SYLLABLES
                .length; // at least two syllables, so no made-up word repeats a one-syllable word
    while (rest > 0) {
      word.append(SYLLABLES[rest % SYLLABLES.length]);
      rest /= SYLLABLES.length;
    }
    return word.toString();
  }

  private static String[] syllables() {
    String consonants = "bdfgklmnprstvz";
    String vowels = "aeiou";
    List<String> list = new ArrayList<>();
    for (char c : consonants.toCharArray()) {
      for (char v : vowels.toCharArray()) {
        list.add("" + c + v);
      }
    }
    return list.toArray(String[]::new);
  }
}
