package io.sluice.engine.events;

/**
 * Something the engine did that an operator wants to see in a log: a replica came or went, the
 * autoscaler decided, traffic moved, a configuration was applied.
 *
 * @param sequence increasing from 1, so a reader can ask for what came after the last one it saw
 * @param epochMillis when it happened (wall clock)
 * @param deployment the deployment concerned, or null for server-wide events
 */
public record EngineEvent(
    long sequence, long epochMillis, Kind kind, String deployment, String message) {

  /** What happened. */
  public enum Kind {
    REPLICA_STARTED,
    REPLICA_FAILED,
    REPLICA_CRASHED,
    REPLICA_RESTARTED,
    REPLICA_STOPPED,
    /** A replica made to leave so that another deployment's replica fits (memory, devices). */
    EVICTED,
    SCALED,
    REVISION_CREATED,
    PROMOTED,
    ROLLED_BACK,
    MODEL_LOADED,
    MODEL_UNLOADED,
    CONFIG_APPLIED,
    /** A configuration file that changed but could not be applied; the one before stays. */
    CONFIG_REFUSED
  }
}
