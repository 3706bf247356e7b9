package io.sluice.operator.crd;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A part of KServe's spec whose fields Sluice serves only in part: the others are kept as written
 * (so that nothing is silently dropped) and reported by name.
 */
public abstract class Unsupported {
  @JsonIgnore private final Map<String, Object> unsupported = new LinkedHashMap<>();

  @JsonAnySetter
  void keep(String field, Object value) {
    unsupported.put(field, value);
  }

  @JsonAnyGetter
  Map<String, Object> kept() {
    return unsupported;
  }

  /** The fields given here that Sluice does not serve, by name. */
  public java.util.Set<String> unsupportedFields() {
    return unsupported.keySet();
  }
}
