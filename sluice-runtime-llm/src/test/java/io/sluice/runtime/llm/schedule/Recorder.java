package io.sluice.runtime.llm.schedule;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A listener that collects a generation's text and outcome. */
final class Recorder implements GenerationListener {
  final StringBuilder text = new StringBuilder();
  final java.util.List<String> pieces = new java.util.concurrent.CopyOnWriteArrayList<>();
  final java.util.List<TokenLogprob> logprobs = new java.util.concurrent.CopyOnWriteArrayList<>();
  final CompletableFuture<GenerationOutcome> outcome = new CompletableFuture<>();

  @Override
  public synchronized void onText(String piece, List<TokenLogprob> tokenLogprobs) {
    text.append(piece);
    pieces.add(piece);
    logprobs.addAll(tokenLogprobs);
  }

  @Override
  public void onFinish(GenerationOutcome finished) {
    outcome.complete(finished);
  }

  @Override
  public void onError(RuntimeException error) {
    outcome.completeExceptionally(error);
  }

  GenerationOutcome await() throws Exception {
    return outcome.get(10, TimeUnit.SECONDS);
  }

  synchronized String text() {
    return text.toString();
  }
}
