package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.engine.client.ModelState;
import io.sluice.engine.client.ModelStatus;
import io.sluice.http.testing.FakeEngine;
import io.sluice.http.testing.RouteHarness;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelListingTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** A protocol that lists names under its own field and marks each model it describes. */
  private static ModelListing.Fields protocol(String field) {
    return new ModelListing.Fields() {
      @Override
      public void list(JsonGenerator json, List<ModelStatus> models) throws IOException {
        json.writeArrayFieldStart(field);
        for (ModelStatus model : models) {
          json.writeString(model.name());
        }
        json.writeEndArray();
      }

      @Override
      public void model(JsonGenerator json, String model) throws IOException {
        json.writeStringField(field, model);
      }
    };
  }

  private final FakeEngine engine =
      new FakeEngine()
          .model("vision", "resnet", ModelState.READY, null)
          .model("vision", "warming", ModelState.LOADING, null)
          .model("speech", "whisper", ModelState.READY, null);

  @Test
  void everyProtocolWritesItsOwnFieldsIntoOneAnswer() throws Exception {
    try (RouteHarness http =
        new RouteHarness(
            router ->
                new ModelListing(
                        engine, ModelScope.global(engine), List.of(protocol("a"), protocol("b")))
                    .mount(router))) {
      JsonNode list = MAPPER.readTree(http.get("/v1/models").body());
      assertThat(list.get("a").toString()).isEqualTo("[\"resnet\",\"warming\",\"whisper\"]");
      assertThat(list.get("b").toString()).isEqualTo("[\"resnet\",\"warming\",\"whisper\"]");
      JsonNode one = MAPPER.readTree(http.get("/v1/models/whisper").body());
      assertThat(one.get("a").asText()).isEqualTo("whisper");
      assertThat(one.get("b").asText()).isEqualTo("whisper");
      assertThat(http.get("/v1/models/warming").statusCode()).as("not ready").isEqualTo(503);
      assertThat(http.get("/v1/models/nope").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void anApplicationsScopeListsOnlyItsModelsAndHidesTheOthers() throws Exception {
    try (RouteHarness http =
        new RouteHarness(
            router ->
                new ModelListing(
                        engine, ModelScope.application(engine, "speech"), List.of(protocol("a")))
                    .mount(router))) {
      assertThat(MAPPER.readTree(http.get("/v1/models").body()).get("a").toString())
          .isEqualTo("[\"whisper\"]");
      assertThat(http.get("/v1/models/resnet").statusCode()).isEqualTo(404);
      assertThat(http.get("/v1/models/resnet").body())
          .contains("is not part of application 'speech'");
    }
  }
}
