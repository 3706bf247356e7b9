package io.sluice.runtime.llm.schedule;

import io.sluice.api.InvalidInputException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedList;
import java.util.List;
import java.util.ListIterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Continuous batching over one {@link Decoder}, on a thread of its own. Every step decodes one
 * batch that holds the next token of every generating sequence and, in the token budget left,
 * chunks of prompts (chunked prefill: a long prompt never stalls the streams already generating).
 * Generations are admitted in arrival order as sequence slots free up; a finished generation's KV
 * cells stay with its slot, and a later prompt that starts with the same tokens (a shared system
 * prompt, a conversation going on) reuses them (prefix caching). When the shared KV cache is full,
 * cached prefixes are dropped first, then the youngest running generation is preempted: its cells
 * are freed and it is recomputed, prompt and generated tokens, when its turn comes again (vLLM's
 * recompute preemption), so no request is refused for lack of cells.
 *
 * <p>An idle slot's cells are not free to keep in the cache: llama.cpp's attention walks every cell
 * of the shared cache up to the highest one in use, so each running sequence pays for every cached
 * prefix at every step (15 cached prefixes of 270 tokens slowed a lone stream of a 12-layer model
 * by a sixth). So with a budget of host memory for them, a prefix idle for {@link
 * #IDLE_STEPS_BEFORE_SAVING} steps of others' leaves the cache, one a step: it is copied out
 * ({@link Decoder#save}), least recently used dropped beyond the budget, and copied back when a
 * prompt starts with enough more of one of them than of any cached slot for the cells the copy
 * moves ({@link #CELLS_MOVED_PER_TOKEN_SAVED}): into an empty slot, or where there is none, into
 * that cached slot if the copy offers twice as much (as llama-server's {@code --cache-ram} does
 * with its idle slots).
 */
public final class Scheduler implements AutoCloseable {
  private final Decoder decoder;

  /**
   * Each sequence has a cache of its own: llama.cpp then decodes a batch in one pass only for
   * sequences numbered one after another, first seen in increasing order (split_equal's sequential
   * rule), and in a pass per run of them otherwise. So a step's rows go in slot order, a generation
   * takes a slot next to the generating ones ({@link #slotKeepingOnePass}), and a gap left by one
   * that ended is closed ({@link #closeGap}).
   */
  private final boolean cachePerSequence;

  private final LongSupplier nanoClock;
  private final Batch batch;
  private final Generation[] owners;
  private final int[][] cached;
  private final int[] cachedLength;

  /** The adapter each slot's cached cells were computed with: another one cannot reuse them. */
  private final int[] cachedAdapter;

  /** The adapter the last step ran; steps take turns between the adapters with work. */
  private int lastAdapter = GenerationRequest.NO_ADAPTER;

  /** Prefixes copied out of the cache, least recently used first, within {@code savedBudget}. */
  private final ArrayDeque<SavedPrefix> saved = new ArrayDeque<>();

  private final long savedBudget;
  private long savedBytes;

  /**
   * Steps a prefix stays in the cache, idle while others run, before it is copied out: a copy
   * stalls every stream for a moment (milliseconds, more where fresh memory faults in slowly), so
   * it waits until the streams just started have given out their first text, and a prefix asked for
   * again soon is still there.
   */
  static final int IDLE_STEPS_BEFORE_SAVING = 16;

  /**
   * Cells a copy back may move for each prompt token it saves computing: a cell cost 15-37 µs to
   * copy back here, a prompt token of a 12-layer model ~1 ms to compute (a larger model computes a
   * token for longer than it copies the token's cell). A copy that shares only a few more tokens
   * than a cached slot stays out.
   */
  static final int CELLS_MOVED_PER_TOKEN_SAVED = 32;

  /** The step at which each slot last became idle. */
  private final long[] idleSince;

  private final ConcurrentLinkedQueue<Generation> incoming = new ConcurrentLinkedQueue<>();
  private final LinkedList<Generation> waiting = new LinkedList<>();
  private final List<Generation> running = new ArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Thread thread;
  private volatile boolean closing;
  private volatile SchedulerStats stats;
  private long submitted;
  private long promptTokens;
  private long cachedPromptTokens;
  private long generatedTokens;
  private long finished;
  private long preemptions;
  private long steps;
  private long decodeNanos;
  private long hostNanos;

  /** A submitted generation, to cancel it. */
  public final class Ticket {
    private final Generation generation;

    private Ticket(Generation generation) {
      this.generation = generation;
    }

    /** Ends the generation at the next step; its listener hears {@code cancelled}. */
    public void cancel() {
      generation.cancelled = true;
      wake();
    }
  }

  /** A scheduler that keeps idle prefixes in the cache. */
  public Scheduler(String name, Decoder decoder) {
    this(name, decoder, 0, System::nanoTime);
  }

  /**
   * A scheduler that moves idle prefixes out of the cache into up to {@code savedPrefixBytes} of
   * host memory (0: they stay in the cache).
   */
  public Scheduler(String name, Decoder decoder, long savedPrefixBytes) {
    this(name, decoder, savedPrefixBytes, System::nanoTime);
  }

  Scheduler(String name, Decoder decoder, LongSupplier nanoClock) {
    this(name, decoder, 0, nanoClock);
  }

  Scheduler(String name, Decoder decoder, long savedPrefixBytes, LongSupplier nanoClock) {
    if (decoder.batchTokens() < decoder.sequenceSlots()) {
      throw new IllegalArgumentException(
          "the batch ("
              + decoder.batchTokens()
              + " tokens) must hold a token of each of "
              + decoder.sequenceSlots()
              + " sequences");
    }
    this.decoder = decoder;
    this.cachePerSequence =
        decoder.sequenceSlots() > 1 && decoder.sequenceCells() < decoder.contextCells();
    this.nanoClock = nanoClock;
    this.savedBudget = savedPrefixBytes;
    this.batch = new Batch(decoder.batchTokens());
    this.owners = new Generation[decoder.sequenceSlots()];
    this.cached = new int[decoder.sequenceSlots()][0];
    this.cachedLength = new int[decoder.sequenceSlots()];
    this.idleSince = new long[decoder.sequenceSlots()];
    this.cachedAdapter = new int[decoder.sequenceSlots()];
    java.util.Arrays.fill(cachedAdapter, GenerationRequest.NO_ADAPTER);
    this.stats = snapshot();
    this.thread = Thread.ofPlatform().name("sluice-llm-" + name).daemon().start(this::run);
  }

  /**
   * Queues a generation. Throws {@link InvalidInputException} when its prompt cannot fit in the
   * context.
   */
  public Ticket submit(GenerationRequest request, GenerationListener listener) {
    if (request.prompt().length >= decoder.sequenceCells()) {
      throw new InvalidInputException(
          "the prompt has "
              + request.prompt().length
              + " tokens; this model's context holds "
              + decoder.sequenceCells()
              + " for one sequence, the prompt and at least one generated token");
    }
    Generation generation;
    lock.lock();
    try {
      if (closing) {
        throw new IllegalStateException("the model is closing");
      }
      generation = new Generation(request, listener, nanoClock.getAsLong(), submitted++);
      incoming.add(generation);
      work.signal();
    } finally {
      lock.unlock();
    }
    return new Ticket(generation);
  }

  public SchedulerStats stats() {
    return stats;
  }

  /** Fails whatever is queued or running and stops the scheduler's thread. */
  @Override
  public void close() {
    closing = true;
    wake();
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void wake() {
    lock.lock();
    try {
      work.signal();
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    while (true) {
      for (Generation generation; (generation = incoming.poll()) != null; ) {
        waiting.add(generation);
      }
      if (closing) {
        failAll(new IllegalStateException("the model was unloaded"));
        saved.forEach(prefix -> prefix.cells().close());
        saved.clear();
        return;
      }
      dropCancelledWaiting();
      for (Generation generation : List.copyOf(running)) {
        if (generation.cancelled) {
          finish(generation, "cancelled");
        }
      }
      admit();
      if (running.isEmpty()) {
        stats = snapshot();
        awaitWork();
        continue;
      }
      long started = nanoClock.getAsLong();
      long decodeBefore = decodeNanos;
      try {
        if (cachePerSequence) {
          closeGap();
        }
        step();
      } catch (RuntimeException e) {
        for (Generation generation : List.copyOf(running)) {
          release(generation, false);
          notifyError(generation, e);
        }
      }
      if (savedBudget > 0) {
        saveOneIdle();
      }
      hostNanos += nanoClock.getAsLong() - started - (decodeNanos - decodeBefore);
      stats = snapshot();
    }
  }

  private void awaitWork() {
    lock.lock();
    try {
      while (incoming.isEmpty() && !closing && !anyCancelledWaiting()) {
        work.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  private boolean anyCancelledWaiting() {
    for (Generation generation : waiting) {
      if (generation.cancelled) {
        return true;
      }
    }
    return false;
  }

  private void dropCancelledWaiting() {
    for (Iterator<Generation> it = waiting.iterator(); it.hasNext(); ) {
      Generation generation = it.next();
      if (generation.cancelled) {
        it.remove();
        closeSampler(generation);
        notifyFinish(generation, "cancelled");
      }
    }
  }

  /** Copies out one prefix that has been idle long enough while others ran, if there is one. */
  private void saveOneIdle() {
    if (running.isEmpty()) {
      return; // nobody pays for it now
    }
    for (int slot = 0; slot < owners.length; slot++) {
      if (owners[slot] == null
          && cachedLength[slot] > 0
          && steps - idleSince[slot] >= IDLE_STEPS_BEFORE_SAVING) {
        saveAndForget(slot);
        return;
      }
    }
  }

  /**
   * Gives free slots to waiting generations, oldest first, each to the slot caching most of its
   * tokens, while the KV cache has room for their tokens next to the running ones' (cached prefixes
   * of idle slots count as room: they are dropped when needed).
   */
  private void admit() {
    int reserved = 0;
    for (Generation generation : running) {
      reserved += generation.length() + 1;
    }
    while (!waiting.isEmpty()) {
      int slot = -1;
      int best = -1;
      Generation next = waiting.getFirst();
      if (!running.isEmpty() && reserved + next.length() + 1 > decoder.contextCells()) {
        return;
      }
      for (int candidate = 0; candidate < owners.length; candidate++) {
        if (owners[candidate] != null) {
          continue;
        }
        int common =
            cachedAdapter[candidate] == next.request.adapter() ? commonPrefix(candidate, next) : 0;
        if (common > best || (common == best && cachedLength[candidate] < cachedLength[slot])) {
          best = common;
          slot = candidate;
        }
      }
      if (slot < 0) {
        return;
      }
      if (cachePerSequence) {
        slot = slotKeepingOnePass(next, slot, best);
        best = cachedAdapter[slot] == next.request.adapter() ? commonPrefix(slot, next) : 0;
      }
      SavedPrefix outside = longestSaved(next);
      int outsideCommon =
          outside == null ? 0 : commonPrefix(outside.tokens(), outside.tokens().length, next);
      if (outsideCommon > best) {
        // Copying back into an empty slot costs a copy in; into the best cached slot its own
        // cells must be copied out first, worth it for at least twice what they offer. Either
        // way the copy must save computing enough tokens for the cells it moves.
        int empty = cachePerSequence ? (cachedLength[slot] == 0 ? slot : -1) : emptyFreeSlot();
        int target = empty >= 0 ? empty : outsideCommon >= 2 * best ? slot : -1;
        long moved = outside.tokens().length + (target >= 0 ? cachedLength[target] : 0);
        if (target >= 0 && (long) (outsideCommon - best) * CELLS_MOVED_PER_TOKEN_SAVED >= moved) {
          saved.remove(outside); // out of reach of the budget while the target's cells are saved
          savedBytes -= outside.cells().bytes();
          emptySlot(target);
          if (restore(outside, target)) {
            slot = target;
            best = commonPrefix(slot, next);
          } else if (target == slot) {
            best = 0;
          }
          keep(outside); // most recently used now
        }
      }
      waiting.removeFirst();
      if (next.sampler == null) {
        try {
          next.sampler = decoder.sampler(next.request.sampling());
        } catch (RuntimeException e) {
          notifyError(next, e);
          continue;
        }
      }
      int reuse =
          Math.min(
              best,
              next.length() - 1); // the last token must run again: its logits pick the next one
      if (reuse < cachedLength[slot]) {
        decoder.forget(slot, reuse);
      }
      cachedLength[slot] = reuse;
      cachedAdapter[slot] = next.request.adapter();
      owners[slot] = next;
      next.slot = slot;
      next.decoded = reuse;
      if (next.preemptions == 0) {
        next.cachedPromptTokens = Math.min(reuse, next.request.prompt().length);
        cachedPromptTokens += next.cachedPromptTokens;
      }
      running.add(next);
      reserved += next.length() + 1;
    }
  }

  /**
   * Where each sequence has a cache of its own: of the free slots that leave the generating
   * sequences in the fewest runs of consecutive numbers (llama.cpp's passes a step), the one
   * caching most of the generation's tokens. If another free slot caches more ({@code cachedSlot},
   * {@code common} tokens), those cells move to the chosen slot (its own cells go out as an idle
   * prefix would, and what {@code cachedSlot} held beyond them is dropped).
   */
  private int slotKeepingOnePass(Generation next, int cachedSlot, int common) {
    int chosen = -1;
    int fewest = Integer.MAX_VALUE;
    int chosenCommon = -1;
    for (int candidate = 0; candidate < owners.length; candidate++) {
      if (owners[candidate] != null) {
        continue;
      }
      int passes = passesWith(candidate);
      int shared =
          cachedAdapter[candidate] == next.request.adapter() ? commonPrefix(candidate, next) : 0;
      if (passes < fewest
          || (passes == fewest
              && (shared > chosenCommon
                  || (shared == chosenCommon && cachedLength[candidate] < cachedLength[chosen])))) {
        chosen = candidate;
        fewest = passes;
        chosenCommon = shared;
      }
    }
    if (chosen == cachedSlot || common <= chosenCommon) {
      return chosen;
    }
    decoder.forget(cachedSlot, common);
    cachedLength[cachedSlot] = common;
    int[] tokens = cached[cachedSlot];
    int adapter = cachedAdapter[cachedSlot];
    if (moveCells(cachedSlot, chosen)) {
      cached[chosen] = tokens;
      cachedLength[chosen] = common;
      cachedAdapter[chosen] = adapter;
    }
    return chosen;
  }

  /**
   * Where each sequence has a cache of its own and the generating sequences are in more than one
   * run of consecutive numbers, moves the generation in the highest slot to the lowest free slot
   * among them, if the tokens it may still generate (a pass fewer each step) are worth the cells it
   * moves.
   */
  private void closeGap() {
    int highest = owners.length - 1;
    while (highest >= 0 && owners[highest] == null) {
      highest--;
    }
    int gap = 0;
    while (gap < highest && owners[gap] == null) {
      gap++;
    }
    while (gap < highest && owners[gap] != null) {
      gap++;
    }
    if (gap >= highest) {
      return;
    }
    Generation moving = owners[highest];
    long left =
        Math.min(
            (long) moving.request.maxTokens() - moving.generated(),
            decoder.sequenceCells() - moving.decoded);
    if (left * CELLS_MOVED_PER_TOKEN_SAVED < moving.decoded) {
      return;
    }
    int adapter = cachedAdapter[highest];
    if (!moveCells(highest, gap)) {
      return;
    }
    owners[gap] = moving;
    owners[highest] = null;
    moving.slot = gap;
    cachedLength[gap] = moving.decoded;
    cachedAdapter[gap] = adapter;
    idleSince[highest] = steps;
  }

  /**
   * Copies slot {@code from}'s cells into slot {@code to} (whose own go out first, as an idle
   * prefix's would) and drops them from {@code from}; false, with {@code from} unchanged, when the
   * decoder cannot copy them.
   */
  private boolean moveCells(int from, int to) {
    Decoder.SavedCells cells;
    try {
      cells = decoder.save(from);
    } catch (RuntimeException | OutOfMemoryError e) {
      return false;
    }
    if (cells == null) {
      return false;
    }
    try (cells) {
      emptySlot(to);
      if (!decoder.restore(cells, to)) {
        return false;
      }
    }
    decoder.forget(from, 0);
    cachedLength[from] = 0;
    return true;
  }

  /** Copies a free slot's cells out within the budget, or drops them. */
  private void emptySlot(int slot) {
    if (savedBudget > 0) {
      saveAndForget(slot);
    }
    if (cachedLength[slot] > 0) { // not copied
      decoder.forget(slot, 0);
      cachedLength[slot] = 0;
    }
  }

  /** Runs of consecutively numbered slots generating, were {@code slot} generating too. */
  private int passesWith(int slot) {
    int passes = 0;
    boolean previous = false;
    for (int candidate = 0; candidate < owners.length; candidate++) {
      boolean generating = owners[candidate] != null || candidate == slot;
      if (generating && !previous) {
        passes++;
      }
      previous = generating;
    }
    return passes;
  }

  /** A prefix copied out of the cache, with the adapter its cells were computed with. */
  private record SavedPrefix(int[] tokens, int adapter, Decoder.SavedCells cells) {}

  /**
   * Copies an idle slot's cached cells out of the cache (keeping them within the budget; a copy
   * larger than the whole budget is dropped) and frees them; leaves them where the decoder cannot
   * copy them.
   */
  private void saveAndForget(int slot) {
    if (cachedLength[slot] == 0) {
      return;
    }
    int[] tokens = Arrays.copyOf(cached[slot], cachedLength[slot]);
    // copies the slot holds all of go first: the decoder may copy into their memory
    dropCopiesWithin(tokens, cachedAdapter[slot]);
    Decoder.SavedCells cells;
    try {
      cells = decoder.save(slot);
    } catch (RuntimeException | OutOfMemoryError e) {
      return; // no copy, no harm: the prefix stays in the cache
    }
    if (cells == null) {
      return;
    }
    keep(new SavedPrefix(tokens, cachedAdapter[slot], cells));
    decoder.forget(slot, 0);
    cachedLength[slot] = 0;
  }

  /** Drops the saved prefixes that {@code tokens} start with. */
  private void dropCopiesWithin(int[] tokens, int adapter) {
    for (Iterator<SavedPrefix> it = saved.iterator(); it.hasNext(); ) {
      SavedPrefix older = it.next();
      if (older.adapter() == adapter
          && older.tokens().length <= tokens.length
          && Arrays.equals(
              older.tokens(), 0, older.tokens().length, tokens, 0, older.tokens().length)) {
        it.remove();
        savedBytes -= older.cells().bytes();
        older.cells().close();
      }
    }
  }

  private void keep(SavedPrefix prefix) {
    if (prefix.cells().bytes() > savedBudget) {
      prefix.cells().close();
      return;
    }
    dropCopiesWithin(prefix.tokens(), prefix.adapter());
    saved.addLast(prefix);
    savedBytes += prefix.cells().bytes();
    while (savedBytes > savedBudget) {
      SavedPrefix oldest = saved.removeFirst();
      savedBytes -= oldest.cells().bytes();
      oldest.cells().close();
    }
  }

  /** A free slot holding no cells, or -1. */
  private int emptyFreeSlot() {
    for (int slot = 0; slot < owners.length; slot++) {
      if (owners[slot] == null && cachedLength[slot] == 0) {
        return slot;
      }
    }
    return -1;
  }

  /**
   * The saved prefix sharing the most tokens with the generation's, the shortest of those (the
   * fewest cells to copy back), or null if none shares any.
   */
  private SavedPrefix longestSaved(Generation generation) {
    SavedPrefix longest = null;
    int most = 0;
    for (SavedPrefix prefix : saved) {
      int common =
          prefix.adapter() == generation.request.adapter()
              ? commonPrefix(prefix.tokens(), prefix.tokens().length, generation)
              : 0;
      if (common > most
          || (common == most && common > 0 && prefix.tokens().length < longest.tokens().length)) {
        most = common;
        longest = prefix;
      }
    }
    return longest;
  }

  /** Copies a saved prefix back into an empty slot; false when the cache has no room for it. */
  private boolean restore(SavedPrefix prefix, int slot) {
    if (!decoder.restore(prefix.cells(), slot)) {
      return false;
    }
    cached[slot] = prefix.tokens();
    cachedLength[slot] = prefix.tokens().length;
    cachedAdapter[slot] = prefix.adapter();
    return true;
  }

  /**
   * The adapter this step runs: one batch serves one adapter (llama.cpp applies adapters to a whole
   * context), so the adapters with running generations take turns, step by step, in id order.
   */
  private int nextAdapter() {
    int next = Integer.MAX_VALUE;
    int first = Integer.MAX_VALUE;
    for (Generation generation : running) {
      int adapter = generation.request.adapter();
      first = Math.min(first, adapter);
      if (adapter > lastAdapter) {
        next = Math.min(next, adapter);
      }
    }
    lastAdapter = next != Integer.MAX_VALUE ? next : first;
    return lastAdapter;
  }

  private int commonPrefix(int slot, Generation generation) {
    return commonPrefix(cached[slot], cachedLength[slot], generation);
  }

  private static int commonPrefix(int[] tokens, int length, Generation generation) {
    int limit = Math.min(length, generation.length());
    int common = 0;
    while (common < limit && tokens[common] == generation.token(common)) {
      common++;
    }
    return common;
  }

  private void step() {
    batch.clear();
    int budget = batch.capacity();
    int[] scheduled = new int[owners.length]; // tokens of each slot's generation in the batch
    int adapter = nextAdapter();
    decoder.useAdapter(adapter);
    for (Generation generation : running) {
      generation.outputRow = -1;
    }
    // next tokens in slot order (see cachePerSequence), then prompt chunks: oldest first with one
    // cache, in slot order with a cache per sequence
    for (Generation generation : owners) {
      if (generation != null
          && generation.request.adapter() == adapter
          && generation.pending() == 1) {
        generation.outputRow =
            batch.add(
                generation.token(generation.decoded), generation.decoded, generation.slot, true);
        scheduled[generation.slot] = 1;
        budget--;
      }
    }
    long now = nanoClock.getAsLong();
    int prompts = cachePerSequence ? owners.length : running.size();
    for (int i = 0; i < prompts && budget > 0; i++) {
      Generation generation = cachePerSequence ? owners[i] : running.get(i);
      if (generation == null
          || generation.pending() <= 1
          || generation.request.adapter() != adapter) {
        continue;
      }
      int count = Math.min(generation.pending(), budget);
      for (int k = 0; k < count; k++) {
        int position = generation.decoded + k;
        boolean last = position == generation.length() - 1;
        int row = batch.add(generation.token(position), position, generation.slot, last);
        if (last) {
          generation.outputRow = row;
        }
      }
      if (generation.firstDecodeNanos < 0) {
        generation.firstDecodeNanos = now;
      }
      scheduled[generation.slot] = count;
      budget -= count;
    }
    long decodeStarted = nanoClock.getAsLong();
    boolean decoded = decoder.decode(batch);
    decodeNanos += nanoClock.getAsLong() - decodeStarted;
    if (!decoded) {
      makeRoom();
      return;
    }
    steps++;
    List<Generation> sampling = new ArrayList<>();
    for (Generation generation : running) {
      int count = scheduled[generation.slot];
      if (count == 0) {
        continue;
      }
      int promptLeft = Math.max(0, generation.request.prompt().length - generation.decoded);
      promptTokens += Math.min(promptLeft, count);
      generation.decoded += count;
      cachedLength[generation.slot] = generation.decoded;
      if (generation.outputRow >= 0) {
        sampling.add(generation);
      }
    }
    for (Generation generation : sampling) {
      sample(generation);
    }
  }

  private void sample(Generation generation) {
    int row = generation.outputRow;
    int token = generation.sampler.sample(row);
    GenerationRequest request = generation.request;
    if (request.topLogprobs() >= 0) {
      generation.logprobs.add(Logprobs.of(decoder, row, token, request.topLogprobs()));
    }
    generation.append(token);
    generatedTokens++;
    if (generation.firstTokenNanos < 0) {
      generation.firstTokenNanos = nanoClock.getAsLong();
    }
    if (!request.ignoreEos() && decoder.endsGeneration(token)) {
      emit(generation, generation.text.flush());
      finish(generation, "stop");
      return;
    }
    String text = generation.text.push(decoder.piece(token));
    if (generation.text.stopped()) {
      emit(generation, text);
      finish(generation, "stop");
    } else if (generation.generated() >= request.maxTokens()
        || generation.length() > decoder.sequenceCells()) {
      emit(generation, text + generation.text.flush());
      finish(generation, "length");
    } else {
      emit(generation, text);
    }
  }

  /**
   * The batch found no room in the KV cache: drop cached prefixes, else preempt the youngest
   * generation.
   */
  private void makeRoom() {
    boolean freed = false;
    for (int slot = 0; slot < owners.length; slot++) {
      if (owners[slot] == null && cachedLength[slot] > 0) {
        decoder.forget(slot, 0);
        cachedLength[slot] = 0;
        freed = true;
      }
    }
    if (freed) {
      return;
    }
    if (running.size() == 1) {
      Generation alone = running.getFirst();
      emit(alone, alone.text.flush());
      finish(alone, "length");
      return;
    }
    Generation youngest = running.getFirst();
    for (Generation generation : running) {
      if (generation.order > youngest.order) {
        youngest = generation;
      }
    }
    preemptions++;
    youngest.preemptions++;
    release(youngest, false);
    youngest.decoded = 0;
    ListIterator<Generation> it = waiting.listIterator();
    while (it.hasNext()) {
      if (it.next().order > youngest.order) {
        it.previous();
        break;
      }
    }
    it.add(youngest);
  }

  private void emit(Generation generation, String text) {
    if (text.isEmpty() && generation.logprobs.isEmpty()) {
      return;
    }
    List<TokenLogprob> logprobs =
        generation.logprobs.isEmpty() ? List.of() : List.copyOf(generation.logprobs);
    generation.logprobs.clear();
    try {
      generation.listener.onText(text, logprobs);
    } catch (RuntimeException e) {
      generation.cancelled = true; // the listener cannot take more: stop generating for it
    }
  }

  private void finish(Generation generation, String reason) {
    release(generation, true);
    finished++;
    notifyFinish(generation, reason);
  }

  /**
   * Frees the generation's slot; its cells stay there as a cached prefix when {@code keepCells}.
   */
  private void release(Generation generation, boolean keepCells) {
    running.remove(generation);
    int slot = generation.slot;
    if (slot < 0) {
      return;
    }
    owners[slot] = null;
    idleSince[slot] = steps;
    generation.slot = -1;
    if (keepCells) {
      cached[slot] = Arrays.copyOf(generation.tokens(), generation.decoded);
      cachedLength[slot] = generation.decoded;
    } else {
      decoder.forget(slot, 0);
      cachedLength[slot] = 0;
    }
    if (keepCells) {
      closeSampler(generation);
    }
  }

  private void closeSampler(Generation generation) {
    if (generation.sampler != null) {
      generation.sampler.close();
      generation.sampler = null;
    }
  }

  private void notifyFinish(Generation generation, String reason) {
    long queued =
        generation.firstDecodeNanos < 0
            ? 0
            : generation.firstDecodeNanos - generation.submittedNanos;
    long firstToken =
        generation.firstTokenNanos < 0 ? 0 : generation.firstTokenNanos - generation.submittedNanos;
    GenerationOutcome outcome =
        new GenerationOutcome(
            reason,
            generation.request.prompt().length,
            generation.generated(),
            generation.cachedPromptTokens,
            queued,
            firstToken,
            generation.preemptions,
            generation.text.matchedStop());
    stats = snapshot();
    try {
      generation.listener.onFinish(outcome);
    } catch (RuntimeException ignored) {
      // the listener's own failure must not stop the other generations
    }
  }

  private void notifyError(Generation generation, RuntimeException error) {
    closeSampler(generation);
    try {
      generation.listener.onError(error);
    } catch (RuntimeException ignored) {
      // as above
    }
  }

  private void failAll(RuntimeException error) {
    for (Generation generation : List.copyOf(running)) {
      release(generation, false);
      notifyError(generation, error);
    }
    for (Generation generation : waiting) {
      notifyError(generation, error);
    }
    waiting.clear();
    for (Generation generation; (generation = incoming.poll()) != null; ) {
      notifyError(generation, error);
    }
    stats = snapshot();
  }

  private SchedulerStats snapshot() {
    int used = 0;
    for (int slot = 0; slot < owners.length; slot++) {
      used += owners[slot] != null ? owners[slot].decoded : cachedLength[slot];
    }
    return new SchedulerStats(
        running.size(),
        waiting.size() + incoming.size(),
        used,
        decoder.contextCells(),
        promptTokens,
        cachedPromptTokens,
        generatedTokens,
        finished,
        preemptions,
        steps,
        decodeNanos,
        hostNanos,
        savedBytes);
  }
}
