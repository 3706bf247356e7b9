package io.sluice.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** KServe's status, as its clients and the Kubeflow UI read it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class InferenceServiceStatus {
  public Long observedGeneration;
  public String url;
  public Address address;
  public List<Condition> conditions = new ArrayList<>();
  public Map<String, ComponentStatus> components = new LinkedHashMap<>();

  /** {@code address}: where clients in the cluster reach the service. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Address {
    public String url;

    public Address() {}

    public Address(String url) {
      this.url = url;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof Address address && Objects.equals(address.url, url);
    }

    @Override
    public int hashCode() {
      return Objects.hashCode(url);
    }
  }

  /**
   * A knative-style condition; {@code lastTransitionTime} changes only when {@code status} does.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Condition {
    public String type;
    public String status;
    public String lastTransitionTime;
    public String reason;
    public String message;
    public String severity;

    @Override
    public boolean equals(Object other) {
      return other instanceof Condition c
          && Objects.equals(c.type, type)
          && Objects.equals(c.status, status)
          && Objects.equals(c.lastTransitionTime, lastTransitionTime)
          && Objects.equals(c.reason, reason)
          && Objects.equals(c.message, message)
          && Objects.equals(c.severity, severity);
    }

    @Override
    public int hashCode() {
      return Objects.hash(type, status, reason, message);
    }
  }

  /** {@code components.predictor}: its revisions and how traffic is split between them. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ComponentStatus {
    public String latestReadyRevision;
    public String latestCreatedRevision;
    public String previousRolledoutRevision;
    public String latestRolledoutRevision;
    public List<TrafficTarget> traffic = new ArrayList<>();
    public String url;

    @Override
    public boolean equals(Object other) {
      return other instanceof ComponentStatus c
          && Objects.equals(c.latestReadyRevision, latestReadyRevision)
          && Objects.equals(c.latestCreatedRevision, latestCreatedRevision)
          && Objects.equals(c.previousRolledoutRevision, previousRolledoutRevision)
          && Objects.equals(c.latestRolledoutRevision, latestRolledoutRevision)
          && Objects.equals(c.traffic, traffic)
          && Objects.equals(c.url, url);
    }

    @Override
    public int hashCode() {
      return Objects.hash(latestReadyRevision, latestCreatedRevision, traffic);
    }
  }

  /** One revision's share: {@code tag} {@code prev} for the previous revision during a canary. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class TrafficTarget {
    public String tag;
    public String revisionName;
    public Boolean latestRevision;
    public Long percent;

    @Override
    public boolean equals(Object other) {
      return other instanceof TrafficTarget t
          && Objects.equals(t.tag, tag)
          && Objects.equals(t.revisionName, revisionName)
          && Objects.equals(t.latestRevision, latestRevision)
          && Objects.equals(t.percent, percent);
    }

    @Override
    public int hashCode() {
      return Objects.hash(tag, revisionName, latestRevision, percent);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof InferenceServiceStatus s
        && Objects.equals(s.observedGeneration, observedGeneration)
        && Objects.equals(s.url, url)
        && Objects.equals(s.address, address)
        && Objects.equals(s.conditions, conditions)
        && Objects.equals(s.components, components);
  }

  @Override
  public int hashCode() {
    return Objects.hash(observedGeneration, url, conditions, components);
  }
}
