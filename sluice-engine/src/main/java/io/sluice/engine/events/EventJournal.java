package io.sluice.engine.events;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The last {@value #CAPACITY} engine events, in order, with listeners told of each new one (on the
 * thread that recorded it, so they must be quick and must not block).
 */
public final class EventJournal {
  public static final int CAPACITY = 1000;

  private final ArrayDeque<EngineEvent> events = new ArrayDeque<>();
  private final List<Consumer<EngineEvent>> listeners = new CopyOnWriteArrayList<>();
  private final LongSupplier clock;
  private long sequence;

  public EventJournal() {
    this(System::currentTimeMillis);
  }

  public EventJournal(LongSupplier epochMillisClock) {
    this.clock = epochMillisClock;
  }

  public void record(EngineEvent.Kind kind, String deployment, String message) {
    EngineEvent event;
    synchronized (events) {
      event = new EngineEvent(++sequence, clock.getAsLong(), kind, deployment, message);
      if (events.size() == CAPACITY) {
        events.removeFirst();
      }
      events.addLast(event);
    }
    for (Consumer<EngineEvent> listener : listeners) {
      listener.accept(event);
    }
  }

  /** The kept events after {@code sequence} (0: all of them), oldest first. */
  public List<EngineEvent> since(long sequence) {
    synchronized (events) {
      List<EngineEvent> after = new ArrayList<>();
      for (EngineEvent event : events) {
        if (event.sequence() > sequence) {
          after.add(event);
        }
      }
      return after;
    }
  }

  /** Tells {@code listener} of every event from now on; run the returned action to stop. */
  public Runnable listen(Consumer<EngineEvent> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }
}
