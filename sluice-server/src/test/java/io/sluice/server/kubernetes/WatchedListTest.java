package io.sluice.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A watched list against a small API server that answers as Kubernetes does: the list, a watch from
 * its version whose events are applied in order, a watch resumed from the last version seen after
 * the server ends it, and a new list when that version has expired (410 Gone); the bearer token
 * goes with every request.
 */
class WatchedListTest {
  private static String item(String name, int version) {
    return "{\"metadata\": {\"namespace\": \"models\", \"name\": \"%s\", \"resourceVersion\": \"%d\"}}"
        .formatted(name, version);
  }

  private static String event(String type, String object) {
    return "{\"type\": \"" + type + "\", \"object\": " + object + "}\n";
  }

  private static void answer(HttpExchange exchange, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("content-type", "application/json");
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 600 && !condition.getAsBoolean(); i++) {
      Thread.sleep(50);
    }
    assertThat(condition.getAsBoolean()).isTrue();
  }

  private static List<String> names(WatchedList list) {
    List<String> names = new ArrayList<>();
    for (JsonNode item : list.snapshot().path("items")) {
      names.add(item.path("metadata").path("name").asText());
    }
    return names;
  }

  @Test
  void aListIsFollowedByItsWatchResumedAndListedAgainWhenItsVersionExpires(@TempDir Path dir)
      throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "secret-token\n");
    List<String> requests = new CopyOnWriteArrayList<>();
    AtomicInteger lists = new AtomicInteger();
    AtomicInteger watches = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/api/v1/namespaces/models/endpoints",
        exchange -> {
          String query = exchange.getRequestURI().getQuery();
          requests.add(exchange.getRequestHeaders().getFirst("Authorization") + " " + query);
          if (!query.contains("watch=true")) {
            answer(
                exchange,
                lists.incrementAndGet() == 1
                    ? "{\"metadata\": {\"resourceVersion\": \"10\"}, \"items\": ["
                        + item("a", 10)
                        + "]}"
                    : "{\"metadata\": {\"resourceVersion\": \"20\"}, \"items\": ["
                        + item("c", 20)
                        + "]}");
            return;
          }
          switch (watches.incrementAndGet()) {
            case 1 ->
                answer(
                    exchange,
                    event("ADDED", item("b", 11))
                        + event("MODIFIED", item("a", 12))
                        + event("BOOKMARK", "{\"metadata\": {\"resourceVersion\": \"13\"}}"));
            case 2 -> answer(exchange, event("DELETED", item("a", 14)));
            case 3 ->
                answer(
                    exchange,
                    event(
                        "ERROR", "{\"kind\": \"Status\", \"code\": 410, \"reason\": \"Expired\"}"));
            default -> {
              exchange.sendResponseHeaders(200, 0); // held open, as a quiet watch is
              try {
                release.await(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              exchange.close();
            }
          }
        });
    server.start();
    AtomicInteger changes = new AtomicInteger();
    List<List<String>> seen = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicReference<WatchedList> watching =
        new java.util.concurrent.atomic.AtomicReference<>();
    ClusterApi api =
        new ClusterApi(
            HttpClient.newHttpClient(),
            URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
            token);
    try (WatchedList list =
        new WatchedList(
            api,
            "/api/v1/namespaces/models/endpoints",
            "labelSelector=x",
            () -> {
              changes.incrementAndGet();
              if (watching.get() != null) {
                seen.add(names(watching.get()));
              }
            })) {
      watching.set(list);
      await(() -> watches.get() >= 4);
      assertThat(list.synced()).isTrue();
      assertThat(names(list)).containsExactly("c");
      assertThat(seen).as("after the deletion, before the new list").contains(List.of("b"));
      assertThat(requests)
          .allMatch(request -> request.startsWith("Bearer secret-token "))
          .allMatch(request -> request.contains("labelSelector=x"));
      assertThat(requests.stream().map(r -> r.replaceAll(".*resourceVersion=(\\d+).*", "$1")))
          .as("list, watch from 10, resumed from 13 (the bookmark), from 14, list, watch from 20")
          .containsExactly(
              "Bearer secret-token labelSelector=x",
              "10",
              "13",
              "14",
              "Bearer secret-token labelSelector=x",
              "20");
      // two lists and four events that changed something (not the bookmark, not the error)
      assertThat(changes.get()).isEqualTo(5);
    } finally {
      release.countDown();
      server.stop(0);
    }
  }
}
