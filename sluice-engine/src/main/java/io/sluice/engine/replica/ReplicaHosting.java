package io.sluice.engine.replica;

/** Where a replica's model runs. */
public enum ReplicaHosting {
  /** In the server's JVM: pure-Java and ONNX Runtime models. */
  IN_PROCESS,
  /**
   * In a supervised child JVM: native runtimes that can abort or hang the process. Health-checked,
   * restarted with backoff when it dies; a crash fails only the requests it was running.
   */
  WORKER_PROCESS,
  /**
   * On an upstream server the deployment points at ({@code storageUri: http://...}): Sluice routes,
   * queues, scales traffic to it and health-checks it; the upstream runs the model.
   */
  REMOTE
}
