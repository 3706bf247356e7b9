package io.sluice.protocol.kserve.v2;

/**
 * A response body ready to send. When {@code jsonLength} is less than the body length, binary tensor
 * data follows the JSON and the response needs {@code Inference-Header-Content-Length: jsonLength}.
 */
public record EncodedBody(byte[] bytes, int jsonLength) {
  public boolean hasBinary() {
    return jsonLength < bytes.length;
  }
}
