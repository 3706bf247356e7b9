package io.sluice.engine.residency;

import io.sluice.engine.replica.Replica;

/** A revision as the {@link Residency} sees it: replicas it owns, and what it may give up. */
public interface Tenant {
  /** The deployment's name: replicas of one deployment never evict each other. */
  String deployment();

  /** Higher stays resident longer: under pressure the lowest priority goes first. */
  int priority();

  /** How many of its replicas it can lose without going below its floor ({@code minReplicas}). */
  int spareReplicas();

  /** Whether requests are queued for a replica of it. */
  boolean hasQueuedRequests();

  /**
   * Takes the replica out of routing and stops it once its requests have finished; requests queued
   * for this tenant keep their place and bring a replica back when there is room.
   */
  void evict(Replica replica, String why);

  /** Tries again to place its replicas that wait for room. */
  void retryPending();
}
