package io.sluice.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.server.config.ConfigLoader;
import io.sluice.server.config.ServerSettings;
import io.sluice.spi.Runtimes;
import io.sluice.storage.ModelStore;
import io.sluice.storage.Progress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The router's configuration from InferenceService statuses: the route, and a canary's two sides. */
class InferenceServiceRoutingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final ConfigLoader loader = new ConfigLoader(new Runtimes(List.of()), ModelStore.standard(Progress.SILENT));

  private static JsonNode list(String traffic) throws Exception {
    return JSON.readTree("""
        {"items": [{"metadata": {"name": "mnist", "namespace": "models"},
          "status": {"components": {"predictor": {"traffic": [%s]}}}},
         {"metadata": {"name": "new", "namespace": "models"}, "status": {}}]}
        """.formatted(traffic));
  }

  private ServerSettings settings(String yaml) throws Exception {
    return loader.validate(loader.parse(yaml), Path.of("."));
  }

  @Test
  void aServiceIsRoutedToTheRevisionsAsItsStatusSplitsThem() throws Exception {
    InferenceServiceRouting routing = new InferenceServiceRouting();
    ServerSettings first = settings(routing.configuration(list(
        "{\"revisionName\": \"mnist-predictor-00001\", \"latestRevision\": true, \"percent\": 100}"), 8080));
    assertThat(first.applications()).extracting(ServerSettings.ApplicationSettings::routePrefix).containsExactly("/mnist");
    assertThat(first.deployments().getFirst().endpoint().toString())
        .isEqualTo("http://mnist-predictor-00001.models.svc.cluster.local");
    assertThat(first.traffic().getFirst().canaryTrafficPercent()).isEqualTo(100);

    ServerSettings canary = settings(routing.configuration(list("""
        {"revisionName": "mnist-predictor-00002", "latestRevision": true, "percent": 25},
        {"revisionName": "mnist-predictor-00001", "latestRevision": false, "percent": 75, "tag": "prev"}"""), 8080));
    assertThat(canary.deployments().getFirst().endpoint().toString())
        .isEqualTo("http://mnist-predictor-00002.models.svc.cluster.local");
    assertThat(canary.traffic().getFirst().canaryTrafficPercent()).isEqualTo(25);
  }

  @Test
  void aServiceFirstSeenDuringACanaryStartsOnItsPreviousRevision() throws Exception {
    InferenceServiceRouting routing = new InferenceServiceRouting();
    String traffic = """
        {"revisionName": "mnist-predictor-00002", "latestRevision": true, "percent": 25},
        {"revisionName": "mnist-predictor-00001", "latestRevision": false, "percent": 75, "tag": "prev"}""";
    assertThat(settings(routing.configuration(list(traffic), 8080)).deployments().getFirst().endpoint().toString())
        .contains("mnist-predictor-00001");
    assertThat(settings(routing.configuration(list(traffic), 8080)).deployments().getFirst().endpoint().toString())
        .contains("mnist-predictor-00002");
    assertThat(settings(routing.configuration(JSON.readTree("{\"items\": []}"), 8080)).applications()).isEmpty();
  }
}
