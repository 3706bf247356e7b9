package io.sluice.protocol.kserve.v2;

import io.sluice.engine.client.ModelState;

/** Model states as Triton's repository index names them. */
public final class RepositoryStates {
  private RepositoryStates() {}

  public static String wireName(ModelState state) {
    return switch (state) {
      case LOADING -> "LOADING";
      case READY -> "READY";
      case UNLOADING -> "UNLOADING";
      case UNAVAILABLE, FAILED -> "UNAVAILABLE";
    };
  }
}
