package io.sluice.protocol.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The Responses API's memory, for {@code previous_response_id} and {@code GET /v1/responses/{id}}:
 * each stored response's object and the conversation it ended (without its instructions, which a
 * follow-up does not inherit). Bounded in count, least recently used first out, and each entry
 * expires {@code ttl} after it was stored.
 */
final class ResponseStore {
  /**
   * A stored response: its object as answered, and the whole conversation so far as chat messages
   * (OpenAI's chat shape).
   */
  record Stored(ObjectNode response, String deployment, ArrayNode conversation, long storedAt) {}

  private final int capacity;
  private final long ttlNanos;
  private final LongSupplier clock;
  private final Map<String, Stored> entries = new LinkedHashMap<>(16, 0.75f, true);

  ResponseStore(int capacity, Duration ttl, LongSupplier clock) {
    this.capacity = capacity;
    this.ttlNanos = ttl.toNanos();
    this.clock = clock;
  }

  synchronized void put(String id, ObjectNode response, String deployment, ArrayNode conversation) {
    entries.put(id, new Stored(response, deployment, conversation, clock.getAsLong()));
    while (entries.size() > capacity) {
      entries.remove(entries.keySet().iterator().next());
    }
  }

  /** The response stored as {@code id}, or null when there is none (any more). */
  synchronized Stored get(String id) {
    Stored stored = entries.get(id);
    if (stored != null && clock.getAsLong() - stored.storedAt() > ttlNanos) {
      entries.remove(id);
      return null;
    }
    return stored;
  }

  /** Forgets {@code id}; false when it was not stored. */
  synchronized boolean remove(String id) {
    return get(id) != null && entries.remove(id) != null;
  }
}
