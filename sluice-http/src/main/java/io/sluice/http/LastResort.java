package io.sluice.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answer of last resort: whatever the code answering a request throws, the client gets its
 * protocol's error, the failure is logged once with a request id, and the connection is never left
 * waiting.
 *
 * <p>Before the head is written the answer is an ordinary error reply (400 when the input is at
 * fault, 500 otherwise, with {@code x-request-id}); in a server-sent-event stream it is one error
 * event and the end of the stream; in any other body already under way the stream is reset, so the
 * client sees a broken answer instead of waiting for the rest.
 */
public final class LastResort {
  private static final Logger log = LoggerFactory.getLogger(LastResort.class);

  /**
   * The header carrying a request's id: the client's own when it sent one, else one made up here.
   */
  public static final String REQUEST_ID = "x-request-id";

  private LastResort() {}

  /** How a protocol words an error: as a whole reply, and as one server-sent event. */
  public interface ErrorBody {
    void send(HttpServerResponse response, int status, String message);

    byte[] event(int status, String message);

    /** The whole server-sent event that ends a stream with the error. */
    default Buffer streamEvent(int status, String message) {
      return Buffer.buffer("data: ").appendBytes(event(status, message)).appendString("\n\n");
    }
  }

  /** KServe V2's {@code {"error": "..."}}. */
  public static final ErrorBody V2 =
      new ErrorBody() {
        @Override
        public void send(HttpServerResponse response, int status, String message) {
          HttpReplies.sendError(response, status, message);
        }

        @Override
        public byte[] event(int status, String message) {
          return HttpReplies.errorJson(message);
        }
      };

  /** Runs {@code answer}, answering with the failure instead if it throws. */
  public static void guard(HttpServerResponse response, ErrorBody body, Runnable answer) {
    try {
      answer.run();
    } catch (RuntimeException | Error e) {
      answer(response, body, e);
    }
  }

  /**
   * {@code action}, guarded: for {@code future.whenComplete(...)} callbacks that write the answer.
   */
  public static <T> BiConsumer<T, Throwable> guarded(
      HttpServerResponse response, ErrorBody body, BiConsumer<T, Throwable> action) {
    return (result, error) -> guard(response, body, () -> action.accept(result, error));
  }

  /** Answers {@code failure}, whatever state the response is in. */
  public static void answer(HttpServerResponse response, ErrorBody body, Throwable failure) {
    int status = ErrorStatus.httpStatus(failure);
    String message = ErrorStatus.message(failure);
    String id = requestId(response);
    if (status >= 500) {
      log.error("request {} failed", id, ErrorStatus.unwrap(failure));
      message = message + " (request id " + id + ")";
    }
    try {
      if (response.closed() || response.ended()) {
        return;
      }
      if (!response.headWritten()) {
        response.putHeader(REQUEST_ID, id);
        body.send(response, status, message);
      } else if (isEventStream(response)) {
        response.end(body.streamEvent(status, message));
      } else {
        response.reset();
      }
    } catch (RuntimeException e) {
      log.warn(
          "request {}: could not answer its failure ({}); closing the stream", id, e.toString());
      response.reset();
    }
  }

  private static boolean isEventStream(HttpServerResponse response) {
    String type = response.headers().get("content-type");
    return type != null && type.startsWith("text/event-stream");
  }

  private static String requestId(HttpServerResponse response) {
    String id = response.headers().get(REQUEST_ID);
    return id != null ? id : UUID.randomUUID().toString();
  }
}
