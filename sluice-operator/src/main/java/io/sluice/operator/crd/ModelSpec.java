package io.sluice.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.List;

/** {@code spec.predictor.model}: what to serve and how. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class ModelSpec extends Unsupported {
  @Required public ModelFormat modelFormat;

  /** A ServingRuntime or ClusterServingRuntime by name; absent: chosen by the model format. */
  public String runtime;

  /** {@code pvc://claim/path}, or a path inside the image. */
  public String storageUri;

  public ProtocolVersion protocolVersion;
  public ResourceRequirements resources;
  public List<EnvVar> env;
  public List<String> args;

  /** {@code modelFormat}: a name such as {@code onnx}, and an optional version. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class ModelFormat {
    @Required public String name;
    public String version;
  }

  /** The protocols KServe names; Sluice speaks all of them on one port. */
  public enum ProtocolVersion {
    @JsonProperty("v1")
    V1,
    @JsonProperty("v2")
    V2,
    @JsonProperty("grpc-v1")
    GRPC_V1,
    @JsonProperty("grpc-v2")
    GRPC_V2
  }
}
