package io.sluice.protocol.kserve.http;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.engine.client.Explanation;
import java.io.IOException;
import java.util.List;

/**
 * Explanations as JSON, for V1 {@code :explain} and V2 {@code /explain}: {@code {"explanations":
 * [{method, input, output, target, shape, attributions, prediction, baseline_prediction,
 * model_calls}]}}, one per instance.
 */
public final class ExplanationJson {
  private ExplanationJson() {}

  public static void write(JsonGenerator json, String model, List<Explanation> explanations)
      throws IOException {
    json.writeStartObject();
    if (model != null) {
      json.writeStringField("model_name", model);
    }
    json.writeArrayFieldStart("explanations");
    for (Explanation explanation : explanations) {
      json.writeStartObject();
      json.writeStringField("method", explanation.method());
      json.writeStringField("input", explanation.input());
      if (explanation.output() != null) {
        json.writeStringField("output", explanation.output());
      }
      json.writeNumberField("target", explanation.target());
      json.writeArrayFieldStart("shape");
      for (long dimension : explanation.shape()) {
        json.writeNumber(dimension);
      }
      json.writeEndArray();
      json.writeArrayFieldStart("attributions");
      for (double attribution : explanation.attributions()) {
        json.writeNumber(attribution);
      }
      json.writeEndArray();
      json.writeNumberField("prediction", explanation.prediction());
      json.writeNumberField("baseline_prediction", explanation.baselinePrediction());
      json.writeNumberField("model_calls", explanation.modelCalls());
      json.writeEndObject();
    }
    json.writeEndArray();
    json.writeEndObject();
  }
}
