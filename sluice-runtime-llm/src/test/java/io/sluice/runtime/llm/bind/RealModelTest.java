package io.sluice.runtime.llm.bind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.runtime.llm.gguf.RandomModelWriter;
import io.sluice.runtime.llm.schedule.Batch;
import io.sluice.runtime.llm.schedule.Decoder;
import io.sluice.runtime.llm.schedule.GenerationListener;
import io.sluice.runtime.llm.schedule.GenerationOutcome;
import io.sluice.runtime.llm.schedule.GenerationRequest;
import io.sluice.runtime.llm.schedule.SamplingOptions;
import io.sluice.runtime.llm.schedule.Scheduler;
import io.sluice.runtime.llm.schedule.TokenLogprob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scheduler over the real llama.cpp libraries, on a random-weight llama. */
class RealModelTest {
  private static Path dir;
  private static LlamaModel model;

  @BeforeAll
  static void load() throws Exception {
    dir = Files.createTempDirectory("sluice-llm");
    Path file = dir.resolve("tiny.gguf");
    RandomModelWriter.writeTinyLlama(file, 256, 4);
    LlamaLibrary library = LlamaLibrary.open(LlamaInstall.libraries("cpu"), "auto");
    assertThat(library.devices()).anyMatch(device -> device.startsWith("CPU"));
    model = LlamaModel.load(library, file, 0);
  }

  @AfterAll
  static void free() throws Exception {
    model.close();
    try (var files = Files.list(dir)) {
      for (Path file : files.toList()) {
        Files.delete(file);
      }
    }
    Files.delete(dir);
  }

  record Result(String text, GenerationOutcome outcome) {}

  private static CompletableFuture<Result> generate(
      Scheduler scheduler, String prompt, int maxTokens) {
    CompletableFuture<Result> done = new CompletableFuture<>();
    StringBuilder text = new StringBuilder();
    int[] tokens = model.tokenize(prompt, true, false);
    scheduler.submit(
        new GenerationRequest(tokens, SamplingOptions.greedy(), maxTokens, List.of(), -1, true),
        new GenerationListener() {
          @Override
          public void onText(String piece, List<TokenLogprob> logprobs) {
            text.append(piece);
          }

          @Override
          public void onFinish(GenerationOutcome outcome) {
            done.complete(new Result(text.toString(), outcome));
          }

          @Override
          public void onError(RuntimeException error) {
            done.completeExceptionally(error);
          }
        });
    return done;
  }

  @Test
  void greedyOutputIsTheSameAloneOrBatchedWithThreeOthers() throws Exception {
    String prompt = "the quick brown fox jumps over the lazy dog";
    String alone;
    try (LlamaContext context = new LlamaContext(model, 2048, 1, 256, 2);
        Scheduler scheduler = new Scheduler("alone", context)) {
      Result result = generate(scheduler, prompt, 24).get(60, TimeUnit.SECONDS);
      assertThat(result.outcome().reason()).isEqualTo("length");
      assertThat(result.outcome().completionTokens()).isEqualTo(24);
      alone = result.text();
    }
    assertThat(alone).isNotBlank();
    try (LlamaContext context = new LlamaContext(model, 4096, 4, 256, 2);
        Scheduler scheduler = new Scheduler("batched", context)) {
      List<CompletableFuture<Result>> others = new ArrayList<>();
      others.add(generate(scheduler, "once upon a time there was", 30));
      others.add(generate(scheduler, "lorem ipsum dolor sit amet", 20));
      CompletableFuture<Result> same = generate(scheduler, prompt, 24);
      others.add(generate(scheduler, "to be or not to be that is the question", 28));
      assertThat(same.get(60, TimeUnit.SECONDS).text()).isEqualTo(alone);
      for (CompletableFuture<Result> other : others) {
        assertThat(other.get(60, TimeUnit.SECONDS).text()).isNotEqualTo(alone);
      }
      Result again = generate(scheduler, prompt, 24).get(60, TimeUnit.SECONDS);
      assertThat(again.text()).as("and again from the prefix cache").isEqualTo(alone);
      assertThat(again.outcome().cachedPromptTokens()).isPositive();
    }
  }

  @Test
  void withACachePerSequenceEachHoldsItsShareAndGivesTheSameOutput() throws Exception {
    String prompt = "the quick brown fox jumps over the lazy dog";
    String alone;
    try (LlamaContext context = new LlamaContext(model, 2048, 1, 256, 2);
        Scheduler scheduler = new Scheduler("alone", context)) {
      alone = generate(scheduler, prompt, 24).get(60, TimeUnit.SECONDS).text();
    }
    try (LlamaContext context = new LlamaContext(model, 2048, 4, 256, 2, false);
        Scheduler scheduler = new Scheduler("own caches", context)) {
      assertThat(context.contextCells()).isEqualTo(2048);
      assertThat(context.sequenceCells()).isEqualTo(512);
      CompletableFuture<Result> other = generate(scheduler, "once upon a time there was", 30);
      Result same = generate(scheduler, prompt, 24).get(60, TimeUnit.SECONDS);
      assertThat(same.text()).isEqualTo(alone);
      assertThat(other.get(60, TimeUnit.SECONDS).outcome().completionTokens()).isEqualTo(30);

      Result longest = generate(scheduler, "once upon a time", 4096).get(120, TimeUnit.SECONDS);
      assertThat(longest.outcome().reason()).isEqualTo("length");
      assertThat(longest.outcome().promptTokens() + longest.outcome().completionTokens())
          .as("its 512 cells, and the token sampled from the last of them")
          .isEqualTo(513);
      int[] tooLong = model.tokenize("the quick brown fox ".repeat(200), true, false);
      assertThat(tooLong.length).isGreaterThan(512);
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () ->
                  scheduler.submit(
                      new GenerationRequest(
                          tooLong, SamplingOptions.greedy(), 4, List.of(), -1, true),
                      null))
          .isInstanceOf(io.sluice.api.InvalidInputException.class)
          .hasMessageContaining("holds 512");
    }
  }

  @Test
  void withACachePerSequenceOneSequencesCopyRestoredIntoAnotherGivesTheSameLogits() {
    int[] prompt = model.tokenize("the quick brown fox jumps over the lazy dog", true, false);
    int next = prompt[3];
    try (LlamaContext context = new LlamaContext(model, 1024, 2, 256, 2, false)) {
      Batch batch = new Batch(256);
      for (int i = 0; i < prompt.length; i++) {
        batch.add(prompt[i], i, 0, false);
      }
      batch.add(next, prompt.length, 0, true);
      assertThat(context.decode(batch)).isTrue();
      float[] computed = context.logits(batch.size() - 1);
      context.forget(0, 0);

      batch.clear();
      for (int i = 0; i < prompt.length; i++) {
        batch.add(prompt[i], i, 0, false);
      }
      assertThat(context.decode(batch)).isTrue();
      try (Decoder.SavedCells copy = context.save(0)) {
        context.forget(0, 0);
        assertThat(context.restore(copy, 1))
            .as("sequence 0's cells into sequence 1's cache")
            .isTrue();
      }
      batch.clear();
      batch.add(next, prompt.length, 1, true);
      assertThat(context.decode(batch)).isTrue();
      float[] restored = context.logits(0);

      assertThat(restored).hasSameSizeAs(computed);
      for (int i = 0; i < computed.length; i++) {
        assertThat(restored[i]).as("logit %d", i).isCloseTo(computed[i], within(1e-3f));
      }
    }
  }

  @Test
  void aPrefixCopiedOutOfTheCacheAndBackGivesTheSameOutput() throws Exception {
    String story = "the quick brown fox jumps over the lazy dog";
    String other = "once upon a time there was";
    try (LlamaContext context = new LlamaContext(model, 2048, 2, 256, 2);
        Scheduler scheduler = new Scheduler("saving", context, 64L << 20)) {
      CompletableFuture<Result> first = generate(scheduler, story, 16);
      Result firstOther = generate(scheduler, other, 8).get(60, TimeUnit.SECONDS);
      first.get(60, TimeUnit.SECONDS);
      assertThat(scheduler.stats().savedPrefixBytes())
          .as("the other one idled for fewer than 16 steps of the story's")
          .isZero();

      generate(scheduler, story, 24).get(60, TimeUnit.SECONDS);
      assertThat(scheduler.stats().savedPrefixBytes())
          .as("the other one's cells, copied out when the story went on in its own sequence")
          .isPositive();
      Result again = generate(scheduler, other, 8).get(60, TimeUnit.SECONDS);
      assertThat(again.outcome().cachedPromptTokens())
          .as("all but the last prompt token, copied back")
          .isEqualTo(again.outcome().promptTokens() - 1);
      assertThat(again.text()).isEqualTo(firstOther.text());
    }
  }
}
