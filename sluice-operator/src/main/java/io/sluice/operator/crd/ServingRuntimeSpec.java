package io.sluice.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.kubernetes.api.model.Container;
import java.util.List;

/**
 * The spec of a (Cluster)ServingRuntime: which model formats it serves and the container that
 * serves them. The operator runs a predictor with the runtime's image and arguments when an
 * InferenceService names it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class ServingRuntimeSpec extends Unsupported {
  public List<SupportedModelFormat> supportedModelFormats;
  public List<String> protocolVersions;
  public Boolean multiModel;
  public Boolean disabled;
  public List<Container> containers;

  /**
   * A model format the runtime serves; {@code autoSelect} runtimes are chosen when an
   * InferenceService names none.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class SupportedModelFormat {
    public String name;
    public String version;
    public Boolean autoSelect;
    public Integer priority;
  }
}
