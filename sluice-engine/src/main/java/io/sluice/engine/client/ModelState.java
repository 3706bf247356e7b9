package io.sluice.engine.client;

/** Where a deployment's model is in its life. Only {@link #READY} takes requests. */
public enum ModelState {
  LOADING,
  READY,
  /** Refusing new requests while the ones in flight finish. */
  UNLOADING,
  /** Not loaded, on purpose (never loaded yet, or unloaded). */
  UNAVAILABLE,
  /** Loading failed; the deployment's reason says why. */
  FAILED
}
