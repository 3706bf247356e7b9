package io.sluice.operator.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.PreserveUnknownFields;
import io.fabric8.generator.annotation.Required;

/**
 * {@code spec}: the predictor; KServe's {@code transformer}, {@code explainer} and {@code canary}
 * are not served.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@PreserveUnknownFields
public class InferenceServiceSpec extends Unsupported {
  @Required public PredictorSpec predictor;
}
