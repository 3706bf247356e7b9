package io.sluice.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** {@code spec.predictor}: the model and KServe's component extension fields that Sluice serves. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class PredictorSpec extends Unsupported {
  public ModelSpec model;

  /** Replicas at least (default 1; 0 lets the predictor scale to zero when idle). */
  @Min(0)
  public Integer minReplicas;

  /** Replicas at most (default: minReplicas, at least 1). */
  @Min(0)
  public Integer maxReplicas;

  /** The scaling target: ongoing requests (concurrency) or requests per second per replica. */
  @Min(1)
  public Integer scaleTarget;

  public ScaleMetric scaleMetric;

  /** Requests one replica runs at once (Sluice's maxOngoingRequests). */
  @Min(0)
  public Long containerConcurrency;

  /** Seconds a request may take. */
  @Min(1)
  public Long timeout;

  /**
   * The latest revision's share of traffic while the previous one keeps the rest; absent: all of
   * it.
   */
  @Min(0)
  @Max(100)
  public Integer canaryTrafficPercent;

  public Batcher batcher;
  public Map<String, String> labels;
  public Map<String, String> annotations;
  public Map<String, String> nodeSelector;
  public List<Toleration> tolerations;
  public Affinity affinity;

  /**
   * The pods' service account (workload identity: cloud credentials for a model store); with it the
   * pods get its token, without it none.
   */
  public String serviceAccountName;

  /** Secrets for pulling a private registry's image (a ServingRuntime's). */
  public List<LocalObjectReference> imagePullSecrets;

  /** KServe's {@code scaleMetric} values that Sluice scales on. */
  public enum ScaleMetric {
    concurrency,
    rps
  }

  /**
   * KServe's batcher: up to {@code maxBatchSize} requests merged, waiting at most {@code
   * maxLatency} ms.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Batcher {
    @Min(1)
    public Integer maxBatchSize;

    @Min(1)
    public Integer maxLatency;

    @Min(1)
    public Integer timeout;
  }
}
