package io.sluice.server.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kind of object, kept current the way Kubernetes' informers do it: a LIST, then a WATCH from
 * the list's {@code resourceVersion}, applying each ADDED, MODIFIED and DELETED event; the watch is
 * resumed from the last version seen when the server ends it, and the list is read again when that
 * version has expired (410 Gone) or the connection failed. At rest it costs the API server one open
 * watch, not a request per interval.
 */
final class WatchedList implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WatchedList.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final ClusterApi api;
  private final String path;
  private final String query;
  private final Runnable changed;
  private final Map<String, JsonNode> objects = new LinkedHashMap<>();
  private final Thread thread;
  private volatile boolean synced;
  private volatile boolean closed;

  /**
   * Starts watching.
   *
   * @param path the list's path, e.g. {@code /api/v1/namespaces/models/endpoints}
   * @param query a label selector and the like ({@code labelSelector=...}), or ""
   * @param changed called after each change (from the watching thread)
   */
  WatchedList(ClusterApi api, String path, String query, Runnable changed) {
    this.api = api;
    this.path = path;
    this.query = query;
    this.changed = changed;
    this.thread = Thread.ofVirtual().name("sluice-watch " + path).start(this::run);
  }

  /** Whether the first list has been read. */
  boolean synced() {
    return synced;
  }

  /** The objects now, as a list ({@code {"items": [...]}}) in the order they were first seen. */
  synchronized JsonNode snapshot() {
    ObjectNode list = JsonNodeFactory.instance.objectNode();
    ArrayNode items = list.putArray("items");
    objects.values().forEach(items::add);
    return list;
  }

  private void run() {
    while (!closed) {
      try {
        String version = relist();
        while (!closed && version != null) {
          version = watch(version);
        }
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        if (!closed) {
          log.warn("watching {} failed, listing again: {}", path, e.toString());
        }
      }
      try {
        Thread.sleep(RETRY);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Reads the whole list; returns its resourceVersion. */
  private String relist() throws IOException, InterruptedException {
    JsonNode list = api.get(path + (query.isEmpty() ? "" : "?" + query));
    synchronized (this) {
      objects.clear();
      for (JsonNode item : list.path("items")) {
        objects.put(key(item), item);
      }
    }
    synced = true;
    changed.run();
    return list.path("metadata").path("resourceVersion").asText();
  }

  /**
   * Follows the watch from {@code version} until the server ends it; returns the version to resume
   * from, or null when the list must be read again.
   */
  private String watch(String version) throws IOException, InterruptedException {
    String[] resume = {version};
    boolean[] expired = {false};
    api.watch(
        path
            + "?watch=true&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion="
            + version
            + (query.isEmpty() ? "" : "&" + query),
        event -> {
          String type = event.path("type").asText();
          JsonNode object = event.path("object");
          if (type.equals("ERROR")) {
            expired[0] = true; // 410 Gone: the version is too old to resume from
            return;
          }
          String next = object.path("metadata").path("resourceVersion").asText("");
          if (!next.isEmpty()) {
            resume[0] = next;
          }
          if (type.equals("BOOKMARK")) {
            return;
          }
          synchronized (this) {
            if (type.equals("DELETED")) {
              objects.remove(key(object));
            } else {
              objects.put(key(object), object);
            }
          }
          changed.run();
        });
    return expired[0] ? null : resume[0];
  }

  private static String key(JsonNode object) {
    JsonNode metadata = object.path("metadata");
    return metadata.path("namespace").asText() + "/" + metadata.path("name").asText();
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
