package io.sluice.runtime.llm.chat;

import io.sluice.api.GeneratedText;
import java.util.List;
import java.util.function.Consumer;

/**
 * Separates a reasoning model's thinking from its answer as the text streams: what comes between
 * the format's tags at the start of the answer (or, when the prompt opened them, up to the closing
 * tag) goes on as {@link GeneratedText#reasoning()}, the rest as text. A tag split across pieces is
 * held back until it is whole; thinking only counts at the start, a tag later is ordinary text.
 */
public final class ReasoningSplitter implements Consumer<GeneratedText> {
  private enum State {
    START,
    THINKING,
    ANSWER
  }

  private final ReasoningFormat format;
  private final Consumer<GeneratedText> downstream;
  private final StringBuilder held = new StringBuilder();
  private State state;

  public ReasoningSplitter(
      ReasoningFormat format, boolean openedByPrompt, Consumer<GeneratedText> downstream) {
    this.format = format;
    this.downstream = downstream;
    this.state = openedByPrompt ? State.THINKING : State.START;
  }

  @Override
  public void accept(GeneratedText piece) {
    if (state == State.ANSWER) {
      downstream.accept(piece);
      return;
    }
    held.append(piece.text());
    List<GeneratedText.TokenLogprob> logprobs = piece.logprobs();
    if (state == State.START) {
      String lead = held.toString().stripLeading();
      if (lead.startsWith(format.open())) {
        held.delete(0, held.indexOf(format.open()) + format.open().length());
        state = State.THINKING;
      } else if (format.open().startsWith(lead)) {
        forwardLogprobs(logprobs); // maybe the opening tag: wait for more
        return;
      } else {
        state = State.ANSWER;
        String text = held.toString();
        held.setLength(0);
        downstream.accept(new GeneratedText(text, logprobs, piece.toolCalls()));
        return;
      }
    }
    int close = held.indexOf(format.close());
    if (close >= 0) {
      String thought = held.substring(0, close);
      String rest = held.substring(close + format.close().length());
      held.setLength(0);
      state = State.ANSWER;
      if (!thought.isEmpty()) {
        downstream.accept(GeneratedText.reasoning(thought));
      }
      downstream.accept(new GeneratedText(rest, logprobs, piece.toolCalls()));
      return;
    }
    int keep = partialSuffix(held, format.close());
    String thought = held.substring(0, held.length() - keep);
    held.delete(0, held.length() - keep);
    if (!thought.isEmpty()) {
      downstream.accept(GeneratedText.reasoning(thought));
    }
    forwardLogprobs(logprobs);
  }

  /** The generation ended: what is still held (an unfinished tag) goes where it was heading. */
  public void finish() {
    if (held.isEmpty()) {
      return;
    }
    String rest = held.toString();
    held.setLength(0);
    downstream.accept(
        state == State.THINKING ? GeneratedText.reasoning(rest) : GeneratedText.of(rest));
  }

  private void forwardLogprobs(List<GeneratedText.TokenLogprob> logprobs) {
    if (!logprobs.isEmpty()) {
      downstream.accept(new GeneratedText("", logprobs, List.of()));
    }
  }

  /** The length of the longest end of {@code text} that begins {@code tag}. */
  private static int partialSuffix(CharSequence text, String tag) {
    for (int length = Math.min(tag.length() - 1, text.length()); length > 0; length--) {
      boolean match = true;
      for (int i = 0; i < length && match; i++) {
        match = text.charAt(text.length() - length + i) == tag.charAt(i);
      }
      if (match) {
        return length;
      }
    }
    return 0;
  }
}
