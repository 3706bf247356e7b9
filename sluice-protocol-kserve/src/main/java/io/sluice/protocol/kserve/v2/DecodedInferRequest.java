package io.sluice.protocol.kserve.v2;

import io.sluice.api.InferRequest;

/**
 * A V2 REST inference request, decoded: the neutral request plus how its outputs should be encoded.
 */
public record DecodedInferRequest(InferRequest request, OutputEncoding outputEncoding) {}
