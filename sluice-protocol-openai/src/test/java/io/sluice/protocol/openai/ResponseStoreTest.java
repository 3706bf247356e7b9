package io.sluice.protocol.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The store's bounds, on a hand-driven clock. */
class ResponseStoreTest {
  private final AtomicLong now = new AtomicLong();
  private final ResponseStore store = new ResponseStore(2, Duration.ofMinutes(10), now::get);

  private void put(String id) {
    store.put(
        id,
        OpenAiBodies.MAPPER.createObjectNode().put("id", id),
        "llm",
        OpenAiBodies.MAPPER.createArrayNode());
  }

  @Test
  void theLeastRecentlyUsedGoesFirstWhenItIsFull() {
    put("a");
    put("b");
    assertThat(store.get("a")).isNotNull(); // a is now more recent than b
    put("c");
    assertThat(store.get("b")).isNull();
    assertThat(store.get("a").response().get("id").asText()).isEqualTo("a");
    assertThat(store.get("c")).isNotNull();
  }

  @Test
  void anEntryExpiresAfterItsTimeToLive() {
    put("a");
    now.addAndGet(Duration.ofMinutes(10).toNanos());
    assertThat(store.get("a")).isNotNull();
    now.addAndGet(1);
    assertThat(store.get("a")).isNull();
    assertThat(store.remove("a")).isFalse();
  }

  @Test
  void aRemovedEntryIsGone() {
    put("a");
    assertThat(store.remove("a")).isTrue();
    assertThat(store.get("a")).isNull();
    assertThat(store.remove("a")).isFalse();
  }
}
