package io.sluice.engine.routing;

import io.sluice.api.ModelNotReadyException;
import io.sluice.api.ServerOverloadedException;
import io.sluice.engine.model.ScalingSpec;
import io.sluice.engine.replica.Replica;
import io.sluice.engine.replica.ReplicaState;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Picks a replica for each request of one deployment: power of two choices on ongoing requests
 * among ready replicas below {@code maxOngoingRequests}. When none has room the request waits in a
 * bounded FIFO queue (at most {@code maxQueuedRequests}, at most {@code maxQueueWait}); beyond
 * either bound it fails with {@link ServerOverloadedException}. A request that arrives while the
 * deployment has no replica at all asks for one through {@code onDemand} (scale from zero) and
 * waits in the queue.
 *
 * <p>Every decision happens under one lock; futures are completed after releasing it, so
 * continuations never run under the lock.
 */
public final class Router {
  private final String deployment;
  private final ScalingSpec spec;
  private final LongSupplier nanoClock;
  private final Runnable onDemand;
  private volatile java.util.function.BooleanSupplier serversComeAndGo = () -> false;
  private final ReentrantLock lock = new ReentrantLock();
  private final List<Replica> routable = new ArrayList<>();
  private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
  private long rejected;
  private long dispatched;
  private boolean closed;

  public Router(String deployment, ScalingSpec spec, LongSupplier nanoClock, Runnable onDemand) {
    this.deployment = deployment;
    this.spec = spec;
    this.nanoClock = nanoClock;
    this.onDemand = onDemand;
  }

  /**
   * Tells the router its replicas follow a group of servers that others start and stop: a crashed
   * replica there is usually a server that left (or is about to be replaced), so requests keep
   * waiting (up to {@code maxQueueWait}) instead of failing when every replica crash-loops.
   */
  public void serversComeAndGo(java.util.function.BooleanSupplier whether) {
    this.serversComeAndGo = whether;
  }

  /** A request's hold on one replica; closing it frees the replica's slot for the next request. */
  public final class Lease implements AutoCloseable {
    private final Replica replica;
    private boolean closed;

    private Lease(Replica replica) {
      this.replica = replica;
    }

    public Replica replica() {
      return replica;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        release(replica);
      }
    }
  }

  private final class Waiter {
    final CompletableFuture<Lease> future = new CompletableFuture<>();
    final long enqueuedNanos = nanoClock.getAsLong();
  }

  /**
   * A lease on a replica now, or once one has room; fails when the queue is full or the router is
   * closed.
   */
  public CompletableFuture<Lease> acquire() {
    return acquire(null);
  }

  /**
   * Like {@link #acquire()}, but among replicas with room those {@code preferred} accepts come
   * first (a multiplexed model already loaded); null for no preference.
   */
  public CompletableFuture<Lease> acquire(java.util.function.Predicate<Replica> preferred) {
    boolean wake;
    Waiter waiter;
    lock.lock();
    try {
      if (closed) {
        return CompletableFuture.failedFuture(
            new ModelNotReadyException("model '" + deployment + "' is not loaded"));
      }
      Replica replica = queue.isEmpty() ? pick(preferred) : null;
      if (replica != null) {
        return CompletableFuture.completedFuture(lease(replica));
      }
      String broken = crashLoop();
      if (broken != null) {
        return CompletableFuture.failedFuture(new ModelNotReadyException(broken));
      }
      if (queue.size() >= spec.maxQueuedRequests()) {
        rejected++;
        return CompletableFuture.failedFuture(
            overloaded(
                "model '"
                    + deployment
                    + "' is at capacity: "
                    + queue.size()
                    + " requests already queued"));
      }
      waiter = new Waiter();
      queue.addLast(waiter);
      wake = routable.isEmpty();
    } finally {
      lock.unlock();
    }
    if (wake) {
      onDemand.run();
    }
    return waiter.future;
  }

  private Lease lease(Replica replica) {
    dispatched++;
    replica.begin();
    return new Lease(replica);
  }

  /** The least busy preferred replica with room, else {@link #pick()}'s. */
  private Replica pick(java.util.function.Predicate<Replica> preferred) {
    if (preferred != null && routable.size() > 1) {
      Replica best = null;
      for (Replica replica : routable) {
        if (hasRoom(replica)
            && preferred.test(replica)
            && (best == null || replica.ongoing() < best.ongoing())) {
          best = replica;
        }
      }
      if (best != null) {
        return best;
      }
    }
    return pick();
  }

  /** Power of two choices among ready replicas with room; null when none has room. */
  private Replica pick() {
    int size = routable.size();
    if (size == 0) {
      return null;
    }
    if (size == 1) {
      Replica only = routable.get(0);
      return hasRoom(only) ? only : null;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int first = random.nextInt(size);
    int second = random.nextInt(size - 1);
    if (second >= first) {
      second++;
    }
    Replica a = routable.get(first);
    Replica b = routable.get(second);
    Replica better = a.ongoing() <= b.ongoing() ? a : b;
    if (hasRoom(better)) {
      return better;
    }
    Replica least = null;
    for (Replica replica : routable) {
      if (hasRoom(replica) && (least == null || replica.ongoing() < least.ongoing())) {
        least = replica;
      }
    }
    return least;
  }

  private boolean hasRoom(Replica replica) {
    return replica.state() == ReplicaState.READY && replica.ongoing() < spec.maxOngoingRequests();
  }

  private void release(Replica replica) {
    List<Runnable> completions;
    lock.lock();
    try {
      replica.end();
      completions = dispatch();
    } finally {
      lock.unlock();
    }
    completions.forEach(Runnable::run);
  }

  /**
   * Hands queued requests to replicas with room; returns the completions to run outside the lock.
   */
  private List<Runnable> dispatch() {
    List<Runnable> completions = new ArrayList<>();
    while (!queue.isEmpty()) {
      Waiter head = queue.peekFirst();
      if (head.future.isDone()) {
        queue.pollFirst();
        continue;
      }
      Replica replica = pick();
      if (replica == null) {
        break;
      }
      queue.pollFirst();
      Lease lease = lease(replica);
      completions.add(
          () -> {
            if (!head.future.complete(lease)) {
              lease.close();
            }
          });
    }
    return completions;
  }

  /** Starts routing to a replica that has become ready. */
  public void add(Replica replica) {
    List<Runnable> completions;
    lock.lock();
    try {
      routable.add(replica);
      completions = dispatch();
    } finally {
      lock.unlock();
    }
    completions.forEach(Runnable::run);
  }

  /**
   * A crashed replica was restarted: hand it the requests that queued meanwhile, or, when every
   * replica is still down after a restart, fail them rather than let them wait out the queue.
   */
  public void readyAgain() {
    List<Runnable> completions;
    List<Waiter> failed = List.of();
    String broken;
    lock.lock();
    try {
      completions = dispatch();
      broken = crashLoop();
      if (broken != null) {
        failed = new ArrayList<>(queue);
        queue.clear();
      }
    } finally {
      lock.unlock();
    }
    completions.forEach(Runnable::run);
    for (Waiter waiter : failed) {
      waiter.future.completeExceptionally(new ModelNotReadyException(broken));
    }
  }

  /**
   * Why no request can be served soon, when every routed replica crashed and failed to restart;
   * else null.
   */
  private String crashLoop() {
    if (routable.isEmpty() || serversComeAndGo.getAsBoolean()) {
      return null;
    }
    for (Replica replica : routable) {
      if (!replica.crashLooping()) {
        return null;
      }
    }
    return "model '" + deployment + "' has no working replica: " + routable.get(0).reason();
  }

  /** Stops routing to a replica (before draining it); requests it is running finish normally. */
  public void remove(Replica replica) {
    lock.lock();
    try {
      routable.remove(replica);
    } finally {
      lock.unlock();
    }
  }

  /** Fails queued requests that have waited longer than {@code maxQueueWait}. */
  public void expireWaiters() {
    List<Waiter> expired = new ArrayList<>();
    long now = nanoClock.getAsLong();
    long limit = spec.maxQueueWait().toNanos();
    lock.lock();
    try {
      for (Iterator<Waiter> it = queue.iterator(); it.hasNext(); ) {
        Waiter waiter = it.next();
        if (waiter.future.isDone()) {
          it.remove();
        } else if (now - waiter.enqueuedNanos >= limit) {
          it.remove();
          expired.add(waiter);
          rejected++;
        }
      }
    } finally {
      lock.unlock();
    }
    for (Waiter waiter : expired) {
      waiter.future.completeExceptionally(
          overloaded(
              "model '"
                  + deployment
                  + "' had no free replica within "
                  + spec.maxQueueWait().toMillis()
                  + " ms"));
    }
  }

  /** Fails every queued request with {@code why}; new ones are taken as before. */
  public void failQueued(RuntimeException why) {
    List<Waiter> failed;
    lock.lock();
    try {
      failed = new ArrayList<>(queue);
      queue.clear();
    } finally {
      lock.unlock();
    }
    for (Waiter waiter : failed) {
      waiter.future.completeExceptionally(why);
    }
  }

  /** Fails every queued request and refuses new ones (the deployment is unloading). */
  public void close(String why) {
    List<Waiter> failed;
    lock.lock();
    try {
      closed = true;
      failed = new ArrayList<>(queue);
      queue.clear();
    } finally {
      lock.unlock();
    }
    for (Waiter waiter : failed) {
      waiter.future.completeExceptionally(
          new ModelNotReadyException("model '" + deployment + "' " + why));
    }
  }

  /** Takes requests again after {@link #close}. */
  public void open() {
    lock.lock();
    try {
      closed = false;
    } finally {
      lock.unlock();
    }
  }

  private ServerOverloadedException overloaded(String message) {
    return new ServerOverloadedException(message, Duration.ofSeconds(1));
  }

  /** Load right now, for the autoscaler and for status. */
  public Load load() {
    lock.lock();
    try {
      int ongoing = 0;
      for (Replica replica : routable) {
        ongoing += replica.ongoing();
      }
      int queued = 0;
      for (Waiter waiter : queue) {
        if (!waiter.future.isDone()) {
          queued++;
        }
      }
      return new Load(ongoing, queued, routable.size(), rejected, dispatched);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Ongoing requests on routable replicas, queued requests, routable replicas, requests rejected so
   * far, and requests handed to a replica so far (its rate is the revision's requests per second).
   */
  public record Load(
      int ongoing, int queued, int routableReplicas, long rejected, long dispatched) {}
}
