package io.sluice.http;

/** Headers Sluice reads and writes on every protocol. */
public final class SluiceHeaders {
  /** Pins a request to a revision by number; answers name the revision that served them. */
  public static final String REVISION = "x-sluice-revision";

  private SluiceHeaders() {}
}
