import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Load for bench/chaos.sh: CONNECTIONS clients (one connection each) POST BODY to URL for SECONDS and
 * count every outcome. Prints one JSON line:
 * {"sent", "answered" (any HTTP status), "statuses", "refused" (no connection: never accepted),
 *  "broken" (the connection failed after the request went out), "hung" (no answer within 60 s)}.
 *
 * <p>java bench/Chaos.java URL BODY CONNECTIONS SECONDS
 */
public final class Chaos {
  public static void main(String[] args) throws Exception {
    URI url = URI.create(args[0]);
    String body = args[1];
    int connections = Integer.parseInt(args[2]);
    long until = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
    LongAdder sent = new LongAdder();
    LongAdder answered = new LongAdder();
    LongAdder refused = new LongAdder();
    LongAdder broken = new LongAdder();
    LongAdder hung = new LongAdder();
    Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    Thread[] clients = new Thread[connections];
    for (int c = 0; c < connections; c++) {
      clients[c] = Thread.ofPlatform().start(() -> {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(60))
            .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        while (System.nanoTime() < until) {
          sent.increment();
          try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            answered.increment();
            statuses.computeIfAbsent(response.statusCode(), s -> new LongAdder()).increment();
          } catch (HttpTimeoutException e) {
            hung.increment();
          } catch (ConnectException e) {
            refused.increment();
            pause();
          } catch (IOException e) {
            broken.increment();
            pause();
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }
    for (Thread client : clients) {
      client.join();
    }
    StringBuilder codes = new StringBuilder();
    new TreeMap<>(statuses).forEach((code, count) ->
        codes.append(codes.isEmpty() ? "" : ",").append('"').append(code).append("\":").append(count.sum()));
    System.out.printf("{\"sent\":%d,\"answered\":%d,\"statuses\":{%s},\"refused\":%d,\"broken\":%d,\"hung\":%d}%n",
        sent.sum(), answered.sum(), codes, refused.sum(), broken.sum(), hung.sum());
  }

  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
