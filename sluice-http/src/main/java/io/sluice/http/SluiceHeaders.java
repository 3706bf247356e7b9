package io.sluice.http;

/** Headers Sluice reads and writes on every protocol. */
public final class SluiceHeaders {
  /** Pins a request to a revision by number; answers name the revision that served them. */
  public static final String REVISION = "x-sluice-revision";

  /**
   * Ray Serve's header naming the model of a multiplexed deployment a request is for (as {@code
   * /versions/{id}} in a V2 path does).
   */
  public static final String MULTIPLEXED_MODEL_ID = "serve_multiplexed_model_id";

  /**
   * Names the application whose models a gRPC call addresses (gRPC has no route prefix); a model
   * name then resolves as it does under that application's prefix. A Kubernetes router sets it from
   * the address the call was sent to, replacing the client's.
   */
  public static final String APPLICATION = "x-sluice-application";

  private SluiceHeaders() {}
}
