package io.sluice.runtime.tts;

import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The inputs of one speech request, checked: the text to speak, a speed factor and the voice asked
 * for (null: the model's default).
 */
record SpeechRequest(String text, float speed, String voice) {
  static final float MIN_SPEED = 0.25f;
  static final float MAX_SPEED = 4f;

  static SpeechRequest of(List<Tensor> inputs) {
    String text = null;
    float speed = 1;
    String voice = null;
    for (Tensor input : inputs) {
      if (input.name().equals("text")) {
        text = new String(input.bytesElements().get(0), StandardCharsets.UTF_8);
      } else if (input.name().equals("speed")) {
        speed = input.data().getFloat();
      } else if (input.name().equals("voice")) {
        voice = new String(input.bytesElements().get(0), StandardCharsets.UTF_8).strip();
      }
    }
    if (text == null || text.isBlank()) {
      throw new InvalidInputException("there is no text to speak");
    }
    if (!(speed >= MIN_SPEED && speed <= MAX_SPEED)) {
      throw new InvalidInputException("speed must lie between 0.25 and 4.0, got " + speed);
    }
    return new SpeechRequest(text, speed, voice == null || voice.isEmpty() ? null : voice);
  }
}
