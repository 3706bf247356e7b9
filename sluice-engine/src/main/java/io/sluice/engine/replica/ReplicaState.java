package io.sluice.engine.replica;

/** Where a replica is in its life. Only {@link #READY} replicas take traffic. */
public enum ReplicaState {
  /** Waiting for accelerator capacity; the replica's reason says what it waits for. */
  PENDING,
  STARTING,
  READY,
  /** Takes no new requests; stops once its ongoing requests finish. */
  DRAINING,
  STOPPED,
  /** Could not start, or died; the replica's reason says why. */
  FAILED
}
