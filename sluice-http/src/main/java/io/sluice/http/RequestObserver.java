package io.sluice.http;

/** Told about every finished protocol request; the server records metrics with it. */
@FunctionalInterface
public interface RequestObserver {
  /**
   * @param model the model addressed, or "" when none
   * @param protocol e.g. {@code v2-rest}, {@code v2-grpc}, {@code v1-rest}
   * @param code the protocol's status: an HTTP status number or a gRPC status name
   * @param nanos time from the request's decoding to its answer
   */
  void observe(String model, String protocol, String code, long nanos);

  /**
   * A speech request that succeeded: {@code audioSeconds} of audio transcribed ({@code direction}
   * {@code in}) or spoken ({@code out}) in {@code nanos}, so that processing time / audio time is
   * its real-time factor.
   */
  default void audio(String model, String direction, double audioSeconds, long nanos) {}

  RequestObserver NONE = (model, protocol, code, nanos) -> {};
}
