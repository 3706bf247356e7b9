package io.sluice.engine.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventJournalTest {
  @Test
  void keepsTheLastEventsInOrderAndTellsListenersUntilTheyStop() {
    AtomicLong clock = new AtomicLong(1_000);
    EventJournal journal = new EventJournal(clock::getAndIncrement);
    List<EngineEvent> heard = new ArrayList<>();
    Runnable stop = journal.listen(heard::add);
    for (int i = 0; i < EventJournal.CAPACITY + 5; i++) {
      journal.record(EngineEvent.Kind.SCALED, "m", "scaled " + i);
    }
    stop.run();
    journal.record(EngineEvent.Kind.PROMOTED, "m", "after");

    List<EngineEvent> kept = journal.since(0);
    assertThat(kept).hasSize(EventJournal.CAPACITY);
    assertThat(kept.getFirst().message()).isEqualTo("scaled 6");
    assertThat(kept.getLast().kind()).isEqualTo(EngineEvent.Kind.PROMOTED);
    assertThat(kept.getLast().sequence()).isEqualTo(EventJournal.CAPACITY + 6);
    assertThat(journal.since(kept.getLast().sequence() - 1))
        .extracting(EngineEvent::message)
        .containsExactly("after");
    assertThat(heard).hasSize(EventJournal.CAPACITY + 5);
    assertThat(heard.get(1).epochMillis()).isEqualTo(1_001);
  }
}
