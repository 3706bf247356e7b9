package io.sluice.protocol.kserve.v2;

import io.sluice.http.HttpReplies;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/**
 * A response body ready to send. When {@code binary} is set, binary tensor data (possibly zero
 * bytes of it) follows the JSON and the response needs {@code Inference-Header-Content-Length:
 * jsonLength}.
 */
public record EncodedBody(Buffer bytes, int jsonLength, boolean binary) {

  /** Sends this body as a 200, with the header a binary body needs. */
  public void sendTo(HttpServerResponse response) {
    if (binary) {
      response.putHeader("Inference-Header-Content-Length", Integer.toString(jsonLength));
      HttpReplies.send(response, 200, "application/octet-stream", bytes);
    } else {
      HttpReplies.send(response, 200, "application/json", bytes);
    }
  }
}
