package io.sluice.engine.model;

import io.sluice.engine.autoscale.AutoscalingSpec;
import io.sluice.engine.batching.BatchingSpec;
import java.time.Duration;

/**
 * How a deployment's replicas take traffic: a fixed replica count or autoscaling, the per-replica
 * limit of ongoing requests, the bounded queue in front of them, and timeouts.
 *
 * @param numReplicas replicas to run when {@code autoscaling} is null
 * @param maxOngoingRequests requests one replica runs at once (Ray Serve's max_ongoing_requests)
 * @param maxQueuedRequests requests that may wait for a replica; beyond that, 503 with Retry-After
 * @param maxQueueWait how long a request may wait for a replica (cold starts included) before 503
 * @param requestTimeout the longest a request may take end to end, or null for no limit (504)
 * @param autoscaling autoscaling settings, or null for a fixed {@code numReplicas}
 * @param batching dynamic batching, or null to run every request on its own
 */
public record ScalingSpec(
    int numReplicas,
    int maxOngoingRequests,
    int maxQueuedRequests,
    Duration maxQueueWait,
    Duration requestTimeout,
    AutoscalingSpec autoscaling,
    BatchingSpec batching) {

  public static final int DEFAULT_MAX_ONGOING_REQUESTS = 5;
  public static final int DEFAULT_MAX_QUEUED_REQUESTS = 1000;
  public static final Duration DEFAULT_MAX_QUEUE_WAIT = Duration.ofSeconds(60);

  /** One replica, Ray Serve's ongoing limit, a bounded queue, no timeout. */
  public static final ScalingSpec DEFAULT =
      new ScalingSpec(
          1,
          DEFAULT_MAX_ONGOING_REQUESTS,
          DEFAULT_MAX_QUEUED_REQUESTS,
          DEFAULT_MAX_QUEUE_WAIT,
          null,
          null,
          null);

  public ScalingSpec {
    if (numReplicas < 1 && autoscaling == null) {
      throw new IllegalArgumentException("numReplicas must be at least 1 without autoscaling");
    }
    if (maxOngoingRequests < 1 || maxQueuedRequests < 0) {
      throw new IllegalArgumentException(
          "maxOngoingRequests must be >= 1 and maxQueuedRequests >= 0");
    }
  }

  /** Replicas to start with. */
  public int initialReplicas() {
    return autoscaling == null ? numReplicas : autoscaling.initialReplicas();
  }
}
