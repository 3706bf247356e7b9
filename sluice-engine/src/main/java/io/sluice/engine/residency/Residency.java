package io.sluice.engine.residency;

import io.sluice.engine.events.EngineEvent;
import io.sluice.engine.events.EventJournal;
import io.sluice.engine.placement.Placement;
import io.sluice.engine.placement.Placer;
import io.sluice.engine.placement.ResourceRequest;
import io.sluice.engine.placement.Sizes;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which replicas hold the host's memory and accelerators, and who leaves when another needs the
 * room. A replica that does not fit makes idle replicas of other deployments leave: lowest {@link
 * Tenant#priority} first, then least recently used; never one with requests in flight, never below
 * a deployment's floor. When only busy replicas could make room, a deployment with queued requests
 * waits its turn: each {@link #tick} the longest-waiting one takes the room of replicas that have
 * held theirs for a {@link SwapQuantum} (they drain first; their own queued requests keep their
 * place and wait for the next turn). A replica that could never fit, even alone, is refused with
 * the sizes.
 *
 * <p>Tenants' methods that take their own locks are only ever called on {@code executor}, never
 * under this object's lock, so a revision placing a replica and the residency evicting another
 * cannot deadlock.
 */
public final class Residency {
  private static final Logger log = LoggerFactory.getLogger(Residency.class);

  private final Placer placer;
  private final EventJournal journal;
  private final LongSupplier nanoClock;
  private final SwapQuantum quantum;
  private final Executor executor;
  private final Map<String, Resident> residents = new LinkedHashMap<>();
  private final Map<String, LongAdder> evictions = new ConcurrentHashMap<>();
  private volatile SwapListener swaps = (deployment, nanos) -> {};

  public Residency(
      Placer placer,
      EventJournal journal,
      LongSupplier nanoClock,
      SwapQuantum quantum,
      Executor executor) {
    this.placer = placer;
    this.journal = journal;
    this.nanoClock = nanoClock;
    this.quantum = quantum;
    this.executor = executor;
  }

  /** Hears how long each load on demand took, from the request that asked to a ready replica. */
  public interface SwapListener {
    void loadedOnDemand(String deployment, long nanos);
  }

  public void listen(SwapListener listener) {
    this.swaps = listener;
  }

  public Placer placer() {
    return placer;
  }

  public SwapQuantum quantum() {
    return quantum;
  }

  /** Replicas of {@code deployment} evicted so far to make room for others. */
  public long evictions(String deployment) {
    LongAdder count = evictions.get(deployment);
    return count == null ? 0 : count.sum();
  }

  /** Called by a revision once a replica it woke for a request is ready. */
  public void loadedOnDemand(String deployment, long nanos) {
    swaps.loadedOnDemand(deployment, nanos);
  }

  /** What placing a replica came to. */
  public record Verdict(
      Placement placement, String refusal, boolean never, CompletableFuture<Void> room) {
    public boolean placed() {
      return placement != null;
    }

    /** Whether replicas are leaving to make room for it: it should try again once they have. */
    public boolean evicting() {
      return room != null;
    }
  }

  /** One replica known to the residency. */
  private static final class Resident {
    final Replica replica;
    final Tenant tenant;
    final ResourceRequest request;
    final CompletableFuture<Void> gone = new CompletableFuture<>();
    long bytes;
    long pendingSinceNanos = -1;
    long residentSinceNanos = -1;
    long servedAtResidence;
    boolean leaving;

    /** Replicas are leaving for this waiting one: no more are asked to until it is placed. */
    boolean roomComing;

    Resident(Replica replica, Tenant tenant, ResourceRequest request) {
      this.replica = replica;
      this.tenant = tenant;
      this.request = request;
    }

    boolean ready() {
      return replica.state() == ReplicaState.READY;
    }

    boolean idle() {
      return ready() && replica.ongoing() == 0;
    }
  }

  /**
   * Reserves room for {@code replica} with {@code bytes} of host memory. When there is none, idle
   * replicas of other deployments that together make enough are asked to leave ({@link
   * Verdict#evicting}: try again once {@link Verdict#room} completes); when even they are not
   * enough the replica waits ({@link #tick} may swap busy ones out for it); when it could never
   * fit, {@link Verdict#never} says why.
   */
  public Verdict place(Replica replica, Tenant tenant, ResourceRequest request, long bytes) {
    List<Resident> plan;
    CompletableFuture<Void> room;
    String why = "to make room for " + tenant.deployment();
    synchronized (this) {
      Resident resident =
          residents.computeIfAbsent(replica.id(), id -> new Resident(replica, tenant, request));
      resident.bytes = bytes;
      Placer.Result result = placer.reserve(replica.id(), request, bytes);
      if (result.placed()) {
        resident.pendingSinceNanos = -1;
        resident.roomComing = false;
        return new Verdict(result.placement(), null, false, null);
      }
      if (resident.pendingSinceNanos < 0) {
        resident.pendingSinceNanos = nanoClock.getAsLong();
      }
      String never = placer.neverFits(request, bytes);
      if (never != null) {
        residents.remove(replica.id());
        return new Verdict(null, never, true, null);
      }
      if (!leavingIds().isEmpty() && placer.fitsWithout(request, bytes, leavingIds())) {
        // room is on its way, for whoever has waited longest (see retryWaiting)
        return new Verdict(null, "waits for its turn: " + result.refusal(), false, null);
      }
      plan = plan(resident, false, leavingIds());
      if (plan.isEmpty()) {
        return new Verdict(null, result.refusal(), false, null);
      }
      room = markLeaving(plan, why);
      expectRoom(resident, room);
    }
    askToLeave(plan, why);
    return new Verdict(null, "waits for evicted replicas to stop", false, room);
  }

  /** Records the footprint measured once the replica loaded; an overrun is fixed at the tick. */
  public synchronized void resize(Replica replica, long bytes) {
    Resident resident = residents.get(replica.id());
    if (resident != null && bytes != resident.bytes) {
      resident.bytes = bytes;
      placer.resize(replica.id(), bytes);
    }
  }

  /** The replica has stopped (or was never placed): its room goes to whoever waits longest. */
  public void leave(Replica replica) {
    Resident gone;
    synchronized (this) {
      placer.release(replica.id());
      gone = residents.remove(replica.id());
    }
    if (gone != null) {
      gone.gone.complete(null);
    }
    executor.execute(this::retryWaiting);
  }

  /** Tenants with replicas that wait for room try again, those that waited longest first. */
  private void retryWaiting() {
    List<Tenant> waiting;
    synchronized (this) {
      waiting =
          residents.values().stream()
              .filter(r -> r.replica.state() == ReplicaState.PENDING)
              .sorted(Comparator.comparingLong(r -> r.pendingSinceNanos))
              .map(r -> r.tenant)
              .distinct()
              .toList();
    }
    waiting.forEach(Tenant::retryPending);
  }

  /**
   * Starts the quantum of newly ready replicas, evicts idle replicas while measured footprints
   * overrun the budget, and swaps out replicas whose quantum is over for the deployment that has
   * waited longest with queued requests.
   */
  public void tick() {
    long now = nanoClock.getAsLong();
    boolean retry = false;
    List<Resident> overrun;
    Map<String, List<Resident>> swaps = new LinkedHashMap<>();
    synchronized (this) {
      for (Resident resident : residents.values()) {
        if (resident.ready() && resident.residentSinceNanos < 0) {
          resident.residentSinceNanos = now;
          resident.servedAtResidence = resident.replica.served();
        }
        if (resident.replica.state() == ReplicaState.PENDING) {
          if (resident.pendingSinceNanos < 0) {
            resident.pendingSinceNanos = now;
          }
        } else {
          resident.pendingSinceNanos = -1;
        }
      }
      overrun = shrinkToBudget();
      List<Resident> waiters =
          residents.values().stream()
              .filter(r -> r.replica.state() == ReplicaState.PENDING)
              .filter(r -> r.tenant.hasQueuedRequests())
              .sorted(Comparator.comparingLong(r -> r.pendingSinceNanos))
              .toList();
      // every waiter, longest first, gets replicas of its own to replace (not room meant for
      // another)
      for (Resident waiter : waiters) {
        if (waiter.roomComing) {
          continue;
        }
        if (placer.fitsWithout(waiter.request, waiter.bytes, List.of())) {
          retry = true; // room is free: the waiter takes it when retried
          continue;
        }
        List<Resident> plan = plan(waiter, true, new ArrayList<>());
        if (!plan.isEmpty()) {
          String why = "as its quantum is over and " + waiter.tenant.deployment() + " waits";
          expectRoom(waiter, markLeaving(plan, why));
          swaps.put(why, plan);
        }
      }
    }
    askToLeave(overrun, OVERRUN);
    swaps.forEach((why, plan) -> askToLeave(plan, why));
    if (retry) {
      executor.execute(this::retryWaiting);
    }
  }

  private static final String OVERRUN = "as measured footprints overran the memory budget";

  /** Idle replicas to evict, least recently used first, while the measured footprints overrun. */
  private List<Resident> shrinkToBudget() {
    long over = placer.hostMemoryUsed() - placer.hostMemoryBudget();
    for (Resident resident : residents.values()) {
      if (resident.leaving) {
        over -= placer.hostMemoryOf(resident.replica.id());
      }
    }
    if (over <= 0) {
      return List.of();
    }
    List<Resident> plan = new ArrayList<>();
    Map<Tenant, Integer> taken = new java.util.HashMap<>();
    for (Resident candidate : sorted(idleCandidates(null))) {
      if (over <= 0) {
        break;
      }
      long held = placer.hostMemoryOf(candidate.replica.id());
      if (held > 0 && mayTake(candidate, taken)) {
        plan.add(candidate);
        over -= held;
      }
    }
    markLeaving(plan, OVERRUN);
    return plan;
  }

  /**
   * The replicas whose leaving would let {@code waiter} fit (with {@code leaving}, those counted as
   * already leaving for it), or none when they would not be enough: idle ones first, then, with
   * {@code preempt}, busy ones whose quantum is over.
   */
  private List<Resident> plan(Resident waiter, boolean preempt, List<String> leaving) {
    List<Resident> candidates = sorted(idleCandidates(waiter));
    if (preempt) {
      long now = nanoClock.getAsLong();
      candidates.addAll(
          residents.values().stream()
              .filter(r -> !r.leaving && r.ready() && r.replica.ongoing() > 0)
              .filter(r -> !r.tenant.deployment().equals(waiter.tenant.deployment()))
              .filter(r -> quantumOver(r, now))
              .sorted(
                  Comparator.comparingInt((Resident r) -> r.tenant.priority())
                      .thenComparingLong(r -> r.residentSinceNanos))
              .toList());
    }
    List<Resident> plan = new ArrayList<>();
    Map<Tenant, Integer> taken = new java.util.HashMap<>();
    for (Resident candidate : candidates) {
      if (!helps(candidate, waiter.request) || !mayTake(candidate, taken)) {
        continue;
      }
      plan.add(candidate);
      leaving.add(candidate.replica.id());
      if (placer.fitsWithout(waiter.request, waiter.bytes, leaving)) {
        return plan;
      }
    }
    return List.of();
  }

  /**
   * No more replicas are asked to leave for {@code waiter} until those leaving for it are gone;
   * then, placed or not (another may have taken the room), it can be planned for again.
   */
  private void expectRoom(Resident waiter, CompletableFuture<Void> room) {
    waiter.roomComing = true;
    room.whenComplete(
        (done, error) -> {
          synchronized (this) {
            waiter.roomComing = false;
          }
        });
  }

  private boolean quantumOver(Resident resident, long now) {
    if (resident.residentSinceNanos < 0) {
      return false;
    }
    return now - resident.residentSinceNanos >= quantum.time().toNanos()
        || (quantum.requests() > 0
            && resident.replica.served() - resident.servedAtResidence >= quantum.requests());
  }

  /** Ready replicas without requests in flight, of deployments other than the waiter's. */
  private List<Resident> idleCandidates(Resident waiter) {
    List<Resident> idle = new ArrayList<>();
    for (Resident resident : residents.values()) {
      if (!resident.leaving
          && resident.idle()
          && (waiter == null || !resident.tenant.deployment().equals(waiter.tenant.deployment()))) {
        idle.add(resident);
      }
    }
    return idle;
  }

  /** Lowest priority first, then least recently used. */
  private static List<Resident> sorted(List<Resident> candidates) {
    candidates.sort(
        Comparator.comparingInt((Resident r) -> r.tenant.priority())
            .thenComparingLong(r -> r.replica.lastUse()));
    return candidates;
  }

  private boolean helps(Resident candidate, ResourceRequest request) {
    String id = candidate.replica.id();
    return (placer.hasHostMemoryBudget() && placer.hostMemoryOf(id) > 0)
        || (request.needsAccelerator() && placer.holdsDeviceFor(id, request));
  }

  /** Whether the tenant can lose one more replica (counting those already in this plan). */
  private static boolean mayTake(Resident candidate, Map<Tenant, Integer> taken) {
    int already = taken.getOrDefault(candidate.tenant, 0);
    if (already >= candidate.tenant.spareReplicas()) {
      return false;
    }
    taken.put(candidate.tenant, already + 1);
    return true;
  }

  private List<String> leavingIds() {
    List<String> ids = new ArrayList<>();
    for (Resident resident : residents.values()) {
      if (resident.leaving) {
        ids.add(resident.replica.id());
      }
    }
    return ids;
  }

  /** Asks the plan's tenants, on the executor and never under this lock, to evict them. */
  private void askToLeave(List<Resident> plan, String why) {
    for (Resident resident : plan) {
      executor.execute(() -> resident.tenant.evict(resident.replica, why));
    }
  }

  /** Marks the plan as leaving, counts and records the evictions; completes once all have left. */
  private CompletableFuture<Void> markLeaving(List<Resident> plan, String why) {
    List<CompletableFuture<Void>> gone = new ArrayList<>();
    for (Resident resident : plan) {
      resident.leaving = true;
      gone.add(resident.gone);
      String deployment = resident.tenant.deployment();
      evictions.computeIfAbsent(deployment, d -> new LongAdder()).increment();
      String message =
          "replica "
              + resident.replica.id()
              + " ("
              + Sizes.describe(resident.bytes)
              + (resident.replica.ongoing() > 0
                  ? ", draining " + resident.replica.ongoing() + " requests"
                  : ", idle")
              + ") evicted "
              + why;
      log.info("{}", message);
      journal.record(EngineEvent.Kind.EVICTED, deployment, message);
    }
    return CompletableFuture.allOf(gone.toArray(CompletableFuture[]::new));
  }

  /** One replica's hold, for status: its id, deployment, footprint and state. */
  public record Holding(String replica, String deployment, long bytes, ReplicaState state) {}

  /** What each known replica holds or waits for. */
  public synchronized List<Holding> holdings() {
    List<Holding> holdings = new ArrayList<>();
    for (Resident resident : residents.values()) {
      holdings.add(
          new Holding(
              resident.replica.id(),
              resident.tenant.deployment(),
              resident.bytes,
              resident.replica.state()));
    }
    return holdings;
  }
}
