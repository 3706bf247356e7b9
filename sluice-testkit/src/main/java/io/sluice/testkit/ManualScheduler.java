package io.sluice.testkit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A scheduler whose clock the test moves: nothing runs until {@link #advance} passes a task's time,
 * so a timing test never depends on how fast a loaded machine happens to be. Delayed tasks only;
 * periodic ones are refused.
 */
public final class ManualScheduler extends AbstractExecutorService
    implements ScheduledExecutorService {
  private final List<Task<?>> pending = new ArrayList<>();
  private long nowNanos;
  private boolean shutdown;

  /** The hand-driven time, in nanoseconds since this scheduler was made. */
  public synchronized long nanoTime() {
    return nowNanos;
  }

  /**
   * Moves the clock forward and runs, in time order, every task due by then (on the calling
   * thread).
   */
  public void advance(long amount, TimeUnit unit) {
    long target;
    synchronized (this) {
      target = nowNanos + unit.toNanos(amount);
    }
    while (true) {
      Task<?> next;
      synchronized (this) {
        next =
            pending.stream()
                .filter(task -> task.at <= target)
                .min(Comparator.comparingLong(task -> task.at))
                .orElse(null);
        if (next == null) {
          nowNanos = target;
          return;
        }
        pending.remove(next);
        nowNanos = Math.max(nowNanos, next.at);
      }
      next.run();
    }
  }

  /** Tasks scheduled and not yet run or cancelled. */
  public synchronized int pendingTasks() {
    pending.removeIf(task -> task.isCancelled());
    return pending.size();
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return schedule(
        () -> {
          command.run();
          return null;
        },
        delay,
        unit);
  }

  @Override
  public synchronized <V> ScheduledFuture<V> schedule(
      Callable<V> callable, long delay, TimeUnit unit) {
    Task<V> task = new Task<>(callable, nowNanos + Math.max(0, unit.toNanos(delay)));
    pending.add(task);
    return task;
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(
      Runnable command, long initialDelay, long period, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not driven by hand");
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable command, long initialDelay, long delay, TimeUnit unit) {
    throw new UnsupportedOperationException("periodic tasks are not driven by hand");
  }

  /** Runs at once on the calling thread, as a direct executor. */
  @Override
  public void execute(Runnable command) {
    command.run();
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> never = new ArrayList<>(pending);
    pending.clear();
    return never;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  private final class Task<V> implements ScheduledFuture<V>, Runnable {
    private final Callable<V> work;
    private final long at;
    private final CompletableFuture<V> result = new CompletableFuture<>();

    Task(Callable<V> work, long at) {
      this.work = work;
      this.at = at;
    }

    @Override
    public void run() {
      if (result.isDone()) {
        return;
      }
      try {
        result.complete(work.call());
      } catch (Exception | Error e) {
        result.completeExceptionally(e);
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(at - nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      return result.cancel(mayInterruptIfRunning);
    }

    @Override
    public boolean isCancelled() {
      return result.isCancelled();
    }

    @Override
    public boolean isDone() {
      return result.isDone();
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
      return result.get();
    }

    @Override
    public V get(long timeout, TimeUnit unit)
        throws InterruptedException, ExecutionException, TimeoutException {
      return result.get(timeout, unit);
    }
  }
}
