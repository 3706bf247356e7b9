package io.sluice.runtime.llm.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SchedulerTest {
  /** Counts up from the last token, wrapping to the end-of-sequence token 0 after 49. */
  private static final Function<List<Integer>, Integer> COUNT =
      history -> (history.getLast() + 1) % 50;

  /** Depends on the whole history, so a wrongly reused or recomputed cell changes the output. */
  private static final Function<List<Integer>, Integer> SUM =
      history -> history.stream().mapToInt(Integer::intValue).sum() % 47 + 1;

  private static GenerationRequest request(int[] prompt, int maxTokens) {
    return new GenerationRequest(prompt, SamplingOptions.greedy(), maxTokens, List.of());
  }

  private static int[] range(int from, int to) {
    return IntStream.range(from, to).toArray();
  }

  @Test
  void promptsArePrefilledInChunksAlongsideStreamsThatAreGenerating() throws Exception {
    FakeDecoder decoder = new FakeDecoder(4, 8, 1000, COUNT);
    decoder.gate = new CountDownLatch(1);
    CountDownLatch gate = decoder.gate;
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder first = new Recorder();
      Recorder second = new Recorder();
      scheduler.submit(request(new int[] {1, 2, 3}, 20), first);
      scheduler.submit(request(range(100, 131), 3), second);
      decoder.gate = null;
      gate.countDown();
      assertThat(first.await().reason()).isEqualTo("length");
      assertThat(second.await().reason()).isEqualTo("length");
      assertThat(first.text()).startsWith("<4><5><6>");
    }
    List<String> prefilling =
        decoder.batches.stream()
            .filter(batch -> batch.contains(":1") && batch.contains(" 1@"))
            .toList();
    assertThat(decoder.batches)
        .allSatisfy(batch -> assertThat(batch.split(" ")).hasSizeLessThanOrEqualTo(8));
    List<String> withSecondPrompt =
        decoder.batches.stream()
            .filter(batch -> count(batch, " 1@") + (batch.startsWith("Batch[1@") ? 1 : 0) > 1)
            .toList();
    assertThat(withSecondPrompt)
        .as("the 31-token prompt takes several steps")
        .hasSizeGreaterThanOrEqualTo(4);
    assertThat(withSecondPrompt.subList(1, withSecondPrompt.size()))
        .as("each of them also carries the first stream's next token")
        .allSatisfy(batch -> assertThat(batch).contains("0@"));
    assertThat(prefilling).isNotNull();
  }

  private static int count(String text, String part) {
    int count = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      count++;
    }
    return count;
  }

  /**
   * On a hand-driven clock that only a decode (5 ms) and a listener taking a token's text (1 ms)
   * move: the decode time is 5 ms a step, and the time outside decode is exactly the listener's.
   */
  @Test
  void timeInsideAndOutsideTheDecodeIsCounted() throws Exception {
    FakeDecoder decoder = new FakeDecoder(2, 16, 1000, COUNT);
    AtomicLong clock = new AtomicLong();
    decoder.onDecode = () -> clock.addAndGet(5_000_000);
    Recorder recorder = new Recorder();
    AtomicInteger texts = new AtomicInteger();
    GenerationListener slowListener =
        new GenerationListener() {
          @Override
          public void onText(String text, List<TokenLogprob> logprobs) {
            clock.addAndGet(1_000_000);
            texts.incrementAndGet();
            recorder.onText(text, logprobs);
          }

          @Override
          public void onFinish(GenerationOutcome outcome) {
            recorder.onFinish(outcome);
          }

          @Override
          public void onError(RuntimeException error) {
            recorder.onError(error);
          }
        };
    Scheduler scheduler = new Scheduler("t", decoder, clock::get);
    try {
      scheduler.submit(request(range(1, 12), 10), slowListener);
      assertThat(recorder.await().reason()).isEqualTo("length");
    } finally {
      scheduler.close(); // joins its thread: the stats now hold the last step's times too
    }
    SchedulerStats stats = scheduler.stats();
    assertThat(stats.steps()).isPositive();
    assertThat(stats.decodeNanos()).isEqualTo(stats.steps() * 5_000_000);
    assertThat(texts.get()).isPositive();
    assertThat(stats.hostNanos()).isEqualTo(texts.get() * 1_000_000L);
  }

  @Test
  void generationsBeyondTheSlotsWaitAndStartInArrivalOrder() throws Exception {
    FakeDecoder decoder = new FakeDecoder(2, 16, 1000, COUNT);
    decoder.gate = new CountDownLatch(1);
    CountDownLatch gate = decoder.gate;
    AtomicLong clock = new AtomicLong();
    List<Recorder> recorders = new ArrayList<>();
    try (Scheduler scheduler = new Scheduler("t", decoder, clock::incrementAndGet)) {
      for (int i = 0; i < 6; i++) {
        Recorder recorder = new Recorder();
        recorders.add(recorder);
        scheduler.submit(request(new int[] {1 + i}, 5 + i), recorder);
      }
      decoder.gate = null;
      gate.countDown();
      long previousStart = -1;
      long previousSubmitted = -1;
      for (Recorder recorder : recorders) {
        GenerationOutcome outcome = recorder.await();
        assertThat(outcome.reason()).isEqualTo("length");
        long submitted =
            previousSubmitted + 1; // the clock counts calls; submissions come first, in order
        previousSubmitted = submitted;
        long started = outcome.queuedNanos();
        assertThat(started).isGreaterThanOrEqualTo(0);
        previousStart = Math.max(previousStart, started);
      }
      assertThat(scheduler.stats().finished()).isEqualTo(6);
      assertThat(scheduler.stats().waiting()).isZero();
    }
    // arrival order: a later generation never holds a sequence before an earlier one
    List<Integer> firstStepOf = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String token = ":" + (1 + i) + "*";
      int step =
          IntStream.range(0, decoder.batches.size())
              .filter(s -> decoder.batches.get(s).contains(token))
              .findFirst()
              .orElseThrow();
      firstStepOf.add(step);
    }
    assertThat(firstStepOf).isSorted();
    assertThat(firstStepOf.get(2))
        .as("the third waited for a free sequence")
        .isGreaterThan(firstStepOf.get(1));
  }

  @Test
  void aPromptThatStartsWithAFinishedOnesTokensReusesItsCells() throws Exception {
    int[] system = range(1, 11);
    int[] followUp = IntStream.concat(IntStream.of(system), IntStream.of(20, 21)).toArray();
    String alone = generateAlone(followUp, 4);
    FakeDecoder decoder = new FakeDecoder(2, 64, 1000, SUM);
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder first = new Recorder();
      scheduler.submit(request(system, 3), first);
      assertThat(first.await().cachedPromptTokens()).isZero();
      int before = decoder.batches.size();
      Recorder second = new Recorder();
      scheduler.submit(request(followUp, 4), second);
      GenerationOutcome outcome = second.await();
      assertThat(outcome.cachedPromptTokens()).isEqualTo(10);
      assertThat(second.text()).isEqualTo(alone);
      assertThat(decoder.batches.get(before))
          .as("only the two new prompt tokens ran")
          .isEqualTo("Batch[0@10:20 0@11:21*]");

      Recorder again = new Recorder();
      scheduler.submit(request(followUp, 4), again);
      assertThat(again.await().cachedPromptTokens())
          .as("all but the last prompt token")
          .isEqualTo(11);
      assertThat(again.text()).isEqualTo(alone);
      assertThat(scheduler.stats().cachedPromptTokens()).isEqualTo(21);
    }
  }

  @Test
  void anIdlePrefixLeavesTheCacheAfterSixteenStepsOfOthersAndComesBackForAPromptThatContinuesIt()
      throws Exception {
    int[] system = range(1, 11);
    int[] followUp = IntStream.concat(IntStream.of(system), IntStream.of(20, 21)).toArray();
    String alone = generateAlone(followUp, 20);
    FakeDecoder decoder = new FakeDecoder(2, 64, 1000, SUM);
    decoder.bytesPerSavedCell = 10;
    try (Scheduler scheduler = new Scheduler("t", decoder, 10_000)) {
      Recorder first = new Recorder();
      scheduler.submit(request(system, 3), first);
      first.await();
      assertThat(decoder.cellsOf(0)).as("idle, but nothing else runs").isEqualTo(12);

      List<Integer> firstsCellsAtEachDecode = new java.util.concurrent.CopyOnWriteArrayList<>();
      decoder.onDecode = () -> firstsCellsAtEachDecode.add(decoder.cellsOf(0));
      Recorder other = new Recorder();
      scheduler.submit(request(range(30, 40), 20), other);
      other.await();
      decoder.onDecode = () -> {};
      assertThat(firstsCellsAtEachDecode).hasSize(20);
      assertThat(firstsCellsAtEachDecode.subList(0, 16))
          .as("in the cache for the other one's first 16 steps")
          .containsOnly(12);
      assertThat(firstsCellsAtEachDecode.subList(16, 20)).as("then copied out").containsOnly(0);
      assertThat(scheduler.stats().savedPrefixBytes()).isEqualTo(12 * 10);
      assertThat(decoder.cellsOf(1)).isEqualTo(29);

      int before = decoder.batches.size();
      Recorder second = new Recorder();
      scheduler.submit(request(followUp, 20), second);
      assertThat(second.await().cachedPromptTokens()).isEqualTo(10);
      assertThat(second.text()).isEqualTo(alone);
      assertThat(decoder.batches.get(before))
          .as("the copied cells came back: only the two new prompt tokens ran")
          .isEqualTo("Batch[0@10:20 0@11:21*]");
      assertThat(decoder.cellsOf(1)).as("the other one's prefix left in turn").isZero();
    }
  }

  @Test
  void savedPrefixesBeyondTheBudgetAreDroppedLeastRecentlyUsedFirst() throws Exception {
    int[] second = range(60, 70);
    FakeDecoder decoder = new FakeDecoder(3, 64, 1000, SUM);
    decoder.bytesPerSavedCell = 10;
    try (Scheduler scheduler = new Scheduler("t", decoder, 150)) { // one 11-cell prefix
      // 1..10 and 60..69 (11 cells each) are copied out in turn while the long ones run; the
      // long ones' 29 cells are more than the whole budget
      for (int[] prompt : List.of(range(1, 11), range(200, 210), second, range(300, 310))) {
        Recorder recorder = new Recorder();
        scheduler.submit(request(prompt, prompt[0] >= 200 ? 20 : 2), recorder);
        recorder.await();
      }
      assertThat(scheduler.stats().savedPrefixBytes())
          .as("one copy: the older one went, the larger one was never kept")
          .isEqualTo(110);
      assertThat(decoder.cellsOf(1)).as("but it left the cache").isZero();

      Recorder continuingSecond = new Recorder();
      scheduler.submit(request(concat(second, 20, 21), 2), continuingSecond);
      assertThat(continuingSecond.await().cachedPromptTokens())
          .as("the one kept is the one saved last")
          .isEqualTo(10);
    }
  }

  @Test
  void withoutAnEmptySlotASavedPrefixDisplacesACachedOneOnlyForTwiceWhatItOffers()
      throws Exception {
    FakeDecoder decoder = new FakeDecoder(2, 64, 1000, SUM);
    decoder.bytesPerSavedCell = 10;
    try (Scheduler scheduler = new Scheduler("t", decoder, 10_000)) {
      // 1..14 is copied out while 200..209 runs; then 1..6 50..59 takes the empty slot, copying
      // back the 6 tokens it shares with 1..14
      for (int[] prompt :
          List.of(range(1, 15), range(200, 210), concat(range(1, 7), range(50, 60)))) {
        Recorder recorder = new Recorder();
        scheduler.submit(request(prompt, prompt[0] == 200 ? 20 : 2), recorder);
        GenerationOutcome outcome = recorder.await();
        if (prompt[0] == 1 && prompt.length == 16) {
          assertThat(outcome.cachedPromptTokens())
              .as("copied back into the empty slot")
              .isEqualTo(6);
        }
      }
      assertThat(decoder.cellsOf(1)).as("200..209, idle, in the other slot").isEqualTo(29);

      Recorder nearly = new Recorder();
      scheduler.submit(request(concat(range(1, 11), 99), 2), nearly);
      assertThat(nearly.await().cachedPromptTokens())
          .as("10 tokens of the copy against 6 in the cache, no empty slot: the cache's")
          .isEqualTo(6);
    }
  }

  @Test
  void aCopyComesBackOnlyForEnoughTokensSavedForTheCellsItMoves() throws Exception {
    int[] story = range(1, 11);
    FakeDecoder decoder = new FakeDecoder(2, 64, 1000, SUM);
    decoder.bytesPerSavedCell = 10;
    try (Scheduler scheduler = new Scheduler("t", decoder, 100_000)) {
      // the story's 109 cells are copied out while 200..209 runs
      for (int[] prompt : List.of(story, range(200, 210))) {
        Recorder recorder = new Recorder();
        scheduler.submit(request(prompt, prompt[0] == 1 ? 100 : 20), recorder);
        recorder.await();
      }
      assertThat(decoder.cellsOf(0)).isZero();

      Recorder twoShared = new Recorder();
      scheduler.submit(request(concat(range(1, 3), range(500, 510)), 2), twoShared);
      assertThat(twoShared.await().cachedPromptTokens())
          .as("2 tokens saved are not worth moving 109 cells (64 < 109): computed")
          .isZero();

      Recorder tenShared = new Recorder();
      scheduler.submit(request(concat(story, 42), 2), tenShared);
      assertThat(tenShared.await().cachedPromptTokens())
          .as(
              "8 more tokens than the cached slot's 2 are worth moving the copy's 109 cells and"
                  + " that slot's 13 (256 >= 122)")
          .isEqualTo(10);
    }
  }

  @Test
  void aCopyThatAPrefixGoingOutHoldsAllOfIsDroppedBeforeTheNewCopyIsMade() throws Exception {
    int[] story = range(1, 11);
    FakeDecoder decoder = new FakeDecoder(3, 64, 1000, SUM);
    decoder.bytesPerSavedCell = 10;
    try (Scheduler scheduler = new Scheduler("t", decoder, 10_000)) {
      // the story (10 cells) is copied out while 200..209 runs; the story going on (12 cells) gets
      // it back; then while 300..309 runs, 200..209 is copied out, and the story going on after it
      for (int[] prompt : List.of(story, range(200, 210), concat(story, 20, 21), range(300, 310))) {
        Recorder recorder = new Recorder();
        scheduler.submit(request(prompt, prompt[0] >= 200 ? 20 : 1), recorder);
        recorder.await();
      }
      assertThat(decoder.copiesOpenAtEachSave)
          .as("the story's first copy was dropped before its longer one was made")
          .containsExactly(0, 1, 1);
      assertThat(decoder.openCopies.get()).isEqualTo(2);
    }
  }

  @Test
  void nextTokensGoInSlotOrderWhateverOrderTheGenerationsArrivedIn() throws Exception {
    int[] system = range(1, 11);
    FakeDecoder decoder = new FakeDecoder(3, 64, 1000, SUM);
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder cached = new Recorder();
      scheduler.submit(request(system, 2), cached); // leaves its cells in slot 0
      cached.await();
      Runnable release = holdDecoding(decoder);
      Recorder unrelated = new Recorder();
      Recorder continuing = new Recorder();
      scheduler.submit(request(range(50, 55), 10), unrelated); // an empty slot: 1
      scheduler.submit(request(concat(system, 60), 10), continuing); // its prefix's slot: 0
      release.run();
      unrelated.await();
      continuing.await();
    }
    List<String> twoNextTokens =
        decoder.batches.stream()
            .filter(batch -> count(batch, "*") == 2 && sequencesOf(batch).size() == 2)
            .toList();
    assertThat(twoNextTokens).hasSizeGreaterThanOrEqualTo(8);
    assertThat(twoNextTokens)
        .allSatisfy(batch -> assertThat(sequencesOf(batch)).containsExactly(0, 1));
  }

  @Test
  void withACachePerSequenceAGenerationTakesASlotNextToTheGeneratingOnesAndItsPrefixMovesThere()
      throws Exception {
    int[] story = range(100, 110);
    int[] storyGoingOn = concat(story, 20, 21);
    String alone = generateAlone(storyGoingOn, 4);
    for (boolean perSequence : List.of(false, true)) {
      FakeDecoder decoder = new FakeDecoder(4, 64, 4000, SUM);
      decoder.sequenceCells = perSequence ? 1000 : 0;
      decoder.bytesPerSavedCell = 10;
      try (Scheduler scheduler = new Scheduler("t", decoder)) {
        Runnable release = holdDecoding(decoder);
        Recorder running = new Recorder();
        Recorder other = new Recorder();
        Recorder first = new Recorder();
        scheduler.submit(request(range(1, 11), 600), running); // slot 0, generating throughout
        scheduler.submit(request(range(50, 55), 2), other); // slot 1
        scheduler.submit(request(story, 2), first); // slot 2
        release.run();
        other.await();
        first.await();
        release = holdDecoding(decoder);
        int before = decoder.batches.size();
        Recorder again = new Recorder();
        scheduler.submit(request(storyGoingOn, 4), again);
        release.run();
        assertThat(again.await().cachedPromptTokens()).isEqualTo(10);
        assertThat(again.text()).isEqualTo(alone);
        assertThat(running.await().completionTokens()).isEqualTo(600);
        String firstOfItsOwn =
            decoder.batches.subList(before, decoder.batches.size()).stream()
                .filter(batch -> batch.contains("@10:20"))
                .findFirst()
                .orElseThrow();
        assertThat(sequenceOf(firstOfItsOwn, "@10:20"))
            .as(perSequence ? "moved next to slot 0's" : "where its prefix was cached")
            .isEqualTo(perSequence ? 1 : 2);
        if (perSequence) {
          assertThat(decoder.cellsOf(2)).as("the story's cells left slot 2").isZero();
        } else {
          assertThat(decoder.cellsOf(1)).as("the other's cells stayed").isEqualTo(6);
        }
      }
    }
  }

  @Test
  void withACachePerSequenceAGapLeftByAGenerationThatEndedIsClosed() throws Exception {
    int[] lastPrompt = range(70, 75);
    String alone = generateAlone(lastPrompt, 120);
    for (boolean perSequence : List.of(false, true)) {
      FakeDecoder decoder = new FakeDecoder(4, 64, 4000, SUM);
      decoder.sequenceCells = perSequence ? 1000 : 0;
      decoder.bytesPerSavedCell = 10;
      try (Scheduler scheduler = new Scheduler("t", decoder)) {
        Runnable release = holdDecoding(decoder);
        Recorder first = new Recorder();
        Recorder shortOne = new Recorder();
        Recorder last = new Recorder();
        scheduler.submit(request(range(1, 6), 120), first); // slot 0
        scheduler.submit(request(range(50, 55), 3), shortOne); // slot 1, ends early
        scheduler.submit(request(lastPrompt, 120), last); // slot 2
        release.run();
        assertThat(last.await().completionTokens()).isEqualTo(120);
        assertThat(last.text()).as("its cells moved with it").isEqualTo(alone);
        first.await();
        shortOne.await();
      }
      List<List<Integer>> twoGenerating =
          decoder.batches.stream()
              .filter(batch -> count(batch, "*") == 2 && sequencesOf(batch).size() == 2)
              .map(SchedulerTest::sequencesOf)
              .toList();
      assertThat(twoGenerating).hasSizeGreaterThanOrEqualTo(100);
      if (perSequence) {
        assertThat(twoGenerating)
            .as("slot 2's generation moved into slot 1 when that one ended")
            .allSatisfy(sequences -> assertThat(sequences).containsExactly(0, 1));
      } else {
        assertThat(twoGenerating)
            .allSatisfy(sequences -> assertThat(sequences).containsExactly(0, 2));
      }
    }
  }

  /** Holds the decoder's next decode until the returned action runs. */
  private static Runnable holdDecoding(FakeDecoder decoder) {
    CountDownLatch gate = new CountDownLatch(1);
    decoder.gate = gate;
    return () -> {
      decoder.gate = null;
      gate.countDown();
    };
  }

  private static int sequenceOf(String batch, String row) {
    int at = batch.indexOf(row);
    int start = Math.max(batch.lastIndexOf(' ', at), batch.lastIndexOf('[', at)) + 1;
    return Integer.parseInt(batch.substring(start, at));
  }

  private static List<Integer> sequencesOf(String batch) {
    return java.util.Arrays.stream(batch.substring(6, batch.length() - 1).split(" "))
        .map(row -> Integer.parseInt(row.substring(0, row.indexOf('@'))))
        .toList();
  }

  @Test
  void withoutABudgetIdlePrefixesStayInTheCache() throws Exception {
    FakeDecoder decoder = new FakeDecoder(2, 64, 1000, SUM);
    decoder.bytesPerSavedCell = 10;
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      for (int[] prompt : List.of(range(1, 11), range(30, 40))) {
        Recorder recorder = new Recorder();
        scheduler.submit(request(prompt, 3), recorder);
        recorder.await();
      }
      assertThat(decoder.cellsOf(0)).isEqualTo(12);
      assertThat(decoder.cellsOf(1)).isEqualTo(12);
      assertThat(scheduler.stats().savedPrefixBytes()).isZero();
    }
  }

  private static int[] concat(int[] prompt, int... more) {
    return IntStream.concat(IntStream.of(prompt), IntStream.of(more)).toArray();
  }

  private static String generateAlone(int[] prompt, int maxTokens) throws Exception {
    try (Scheduler scheduler = new Scheduler("alone", new FakeDecoder(1, 64, 1000, SUM))) {
      Recorder recorder = new Recorder();
      scheduler.submit(request(prompt, maxTokens), recorder);
      recorder.await();
      return recorder.text();
    }
  }

  @Test
  void aFullCacheRecomputesTheYoungestGenerationInsteadOfRefusingIt() throws Exception {
    int[] older = {3, 1, 4, 1};
    int[] younger = {2, 7, 1, 8};
    String olderAlone = generateAlone(older, 14);
    String youngerAlone = generateAlone(younger, 14);
    FakeDecoder decoder = new FakeDecoder(2, 16, 30, SUM);
    decoder.gate = new CountDownLatch(1);
    CountDownLatch gate = decoder.gate;
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder first = new Recorder();
      Recorder second = new Recorder();
      scheduler.submit(request(older, 14), first);
      scheduler.submit(request(younger, 14), second);
      decoder.gate = null;
      gate.countDown();
      GenerationOutcome firstOutcome = first.await();
      GenerationOutcome secondOutcome = second.await();
      assertThat(first.text()).isEqualTo(olderAlone);
      assertThat(second.text()).isEqualTo(youngerAlone);
      assertThat(firstOutcome.preemptions()).isZero();
      assertThat(secondOutcome.preemptions()).isPositive();
      assertThat(secondOutcome.reason()).isEqualTo("length");
      assertThat(secondOutcome.completionTokens()).isEqualTo(14);
      assertThat(scheduler.stats().preemptions()).isPositive();
    }
    assertThat(decoder.refusals).isPositive();
  }

  @Test
  void cancellingFreesTheSequenceForTheNextGeneration() throws Exception {
    FakeDecoder decoder = new FakeDecoder(1, 8, 1_000_000, COUNT);
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder endless = new Recorder();
      Scheduler.Ticket ticket =
          scheduler.submit(
              new GenerationRequest(
                  new int[] {1}, SamplingOptions.greedy(), 500_000, List.of(), -1, true),
              endless);
      Recorder next = new Recorder();
      scheduler.submit(request(new int[] {7}, 2), next);
      while (endless.pieces.size() < 3) {
        Thread.sleep(1);
      }
      ticket.cancel();
      GenerationOutcome outcome = endless.await();
      assertThat(outcome.reason()).isEqualTo("cancelled");
      assertThat(outcome.completionTokens()).isLessThan(500_000);
      assertThat(next.await().reason()).isEqualTo("length");
      assertThat(next.text()).isEqualTo("<8><9>");
    }
  }

  @Test
  void aCancelledWaitingGenerationNeverRuns() throws Exception {
    FakeDecoder decoder = new FakeDecoder(1, 8, 1_000_000, COUNT);
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder endless = new Recorder();
      Scheduler.Ticket running =
          scheduler.submit(
              new GenerationRequest(
                  new int[] {1}, SamplingOptions.greedy(), 500_000, List.of(), -1, true),
              endless);
      Recorder waiting = new Recorder();
      scheduler.submit(request(new int[] {7}, 2), waiting).cancel();
      assertThat(waiting.await().reason()).isEqualTo("cancelled");
      assertThat(waiting.text()).isEmpty();
      running.cancel();
      assertThat(endless.await().reason()).isEqualTo("cancelled");
    }
  }

  @Test
  void stopStringsEndTheTextEvenWhenTheySpanTokensAndAreNeverHandedOut() throws Exception {
    FakeDecoder decoder = new FakeDecoder(1, 8, 1000, COUNT);
    decoder.pieces.put(1, "Hel".getBytes(StandardCharsets.UTF_8));
    decoder.pieces.put(2, "lo W".getBytes(StandardCharsets.UTF_8));
    decoder.pieces.put(3, "or".getBytes(StandardCharsets.UTF_8));
    decoder.pieces.put(4, "ld!".getBytes(StandardCharsets.UTF_8));
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder recorder = new Recorder();
      scheduler.submit(
          new GenerationRequest(new int[] {0}, SamplingOptions.greedy(), 10, List.of("World")),
          recorder);
      GenerationOutcome outcome = recorder.await();
      assertThat(outcome.reason()).isEqualTo("stop");
      assertThat(recorder.text()).isEqualTo("Hello ");
      assertThat(recorder.pieces).noneMatch(piece -> piece.contains("W"));
      assertThat(outcome.completionTokens()).isEqualTo(4);

      Recorder notAStop = new Recorder();
      scheduler.submit(
          new GenerationRequest(new int[] {0}, SamplingOptions.greedy(), 4, List.of("Wolf")),
          notAStop);
      assertThat(notAStop.await().reason()).isEqualTo("length");
      assertThat(notAStop.text()).isEqualTo("Hello World!");
    }
  }

  @Test
  void aCharacterSplitAcrossTokensIsHandedOutWhole() throws Exception {
    FakeDecoder decoder = new FakeDecoder(1, 8, 1000, COUNT);
    byte[] e = "é".getBytes(StandardCharsets.UTF_8);
    decoder.pieces.put(11, new byte[] {e[0]});
    decoder.pieces.put(12, new byte[] {e[1], 'x'});
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder recorder = new Recorder();
      scheduler.submit(request(new int[] {10}, 2), recorder);
      recorder.await();
      assertThat(recorder.pieces).containsExactly("éx");
    }
  }

  @Test
  void endOfSequenceStopsAndMaxTokensCutsOff() throws Exception {
    FakeDecoder decoder = new FakeDecoder(2, 8, 1000, COUNT);
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder ends = new Recorder();
      scheduler.submit(request(new int[] {45}, 100), ends);
      GenerationOutcome outcome = ends.await();
      assertThat(outcome.reason()).isEqualTo("stop");
      assertThat(ends.text()).isEqualTo("<46><47><48><49>");
      assertThat(outcome.completionTokens()).isEqualTo(5);

      Recorder cut = new Recorder();
      scheduler.submit(request(new int[] {1}, 3), cut);
      assertThat(cut.await().reason()).isEqualTo("length");
      assertThat(cut.text()).isEqualTo("<2><3><4>");
      assertThat(scheduler.stats().generatedTokens()).isEqualTo(8);
      assertThat(scheduler.stats().promptTokens()).isEqualTo(2);
    }
  }

  @Test
  void logprobsComeWithTheirTokens() throws Exception {
    FakeDecoder decoder = new FakeDecoder(1, 8, 1000, COUNT);
    try (Scheduler scheduler = new Scheduler("t", decoder)) {
      Recorder recorder = new Recorder();
      scheduler.submit(
          new GenerationRequest(new int[] {1}, SamplingOptions.greedy(), 3, List.of(), 2, false),
          recorder);
      recorder.await();
      assertThat(recorder.logprobs).extracting(TokenLogprob::token).containsExactly(2, 3, 4);
      assertThat(recorder.logprobs)
          .allSatisfy(
              logprob -> {
                assertThat(logprob.top()).hasSize(2);
                assertThat(logprob.logprob()).isEqualTo(logprob.top().getFirst().logprob());
                assertThat(logprob.logprob())
                    .isNegative()
                    .isGreaterThan(logprob.top().get(1).logprob());
              });
    }
  }

  @Test
  void aPromptLongerThanTheContextIsRefusedAtOnce() {
    try (Scheduler scheduler = new Scheduler("t", new FakeDecoder(1, 8, 16, COUNT))) {
      assertThatThrownBy(() -> scheduler.submit(request(range(1, 17), 1), new Recorder()))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("16");
    }
  }

  @Test
  void aGenerationReachingTheEndOfTheContextStopsWithLength() throws Exception {
    try (Scheduler scheduler = new Scheduler("t", new FakeDecoder(1, 8, 16, SUM))) {
      Recorder recorder = new Recorder();
      scheduler.submit(
          new GenerationRequest(range(1, 10), SamplingOptions.greedy(), 100, List.of(), -1, true),
          recorder);
      GenerationOutcome outcome = recorder.await();
      assertThat(outcome.reason()).isEqualTo("length");
      assertThat(outcome.completionTokens()).isEqualTo(8);
    }
  }

  @Test
  void closingFailsWhatIsQueued() throws Exception {
    FakeDecoder decoder = new FakeDecoder(1, 8, 1_000_000, COUNT);
    Scheduler scheduler = new Scheduler("t", decoder);
    Recorder endless = new Recorder();
    scheduler.submit(
        new GenerationRequest(
            new int[] {1}, SamplingOptions.greedy(), 500_000, List.of(), -1, true),
        endless);
    Recorder queued = new Recorder();
    scheduler.submit(request(new int[] {1}, 5), queued);
    scheduler.close();
    assertThatThrownBy(endless::await).hasMessageContaining("unloaded");
    assertThatThrownBy(queued::await).hasMessageContaining("unloaded");
  }
}
