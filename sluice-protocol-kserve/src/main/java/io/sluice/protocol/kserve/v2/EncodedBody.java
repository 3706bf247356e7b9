package io.sluice.protocol.kserve.v2;

/**
 * A response body ready to send. When {@code binary} is set, binary tensor data (possibly zero
 * bytes of it) follows the JSON and the response needs {@code Inference-Header-Content-Length:
 * jsonLength}.
 */
public record EncodedBody(byte[] bytes, int jsonLength, boolean binary) {}
