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

/**
 * The router's configuration from InferenceService statuses: the route, a canary's two sides, the
 * per-pod limit; the revisions' ready pods from their Endpoints; services of one name in two
 * namespaces kept apart; a route that cannot be served left out alone.
 */
class InferenceServiceRoutingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SERVER =
      "server: {host: 0.0.0.0, port: 8080, adminLoopbackOnly: false, adminToken: \"0123456789abcdef\"}";
  private final ConfigLoader loader =
      new ConfigLoader(new Runtimes(List.of()), ModelStore.standard(Progress.SILENT));

  private static JsonNode list(String traffic) throws Exception {
    return JSON.readTree(
        """
        {"items": [{"metadata": {"name": "mnist", "namespace": "models"},
          "status": {"components": {"predictor": {"traffic": [%s]}}}},
         {"metadata": {"name": "new", "namespace": "models"}, "status": {}}]}
        """
            .formatted(traffic));
  }

  private static String configuration(InferenceServiceRouting routing, JsonNode list) {
    return routing.configuration(routing.routes(list));
  }

  private ServerSettings settings(String yaml) throws Exception {
    return loader.validate(loader.parse(yaml), Path.of("."));
  }

  @Test
  void aServiceIsRoutedToTheRevisionsAsItsStatusSplitsThem() throws Exception {
    InferenceServiceRouting routing = new InferenceServiceRouting(SERVER);
    ServerSettings first =
        settings(
            configuration(
                routing,
                list(
                    "{\"revisionName\": \"mnist-predictor-00001\", \"latestRevision\": true, \"percent\": 100}")));
    assertThat(first.applications())
        .extracting(ServerSettings.ApplicationSettings::routePrefix)
        .containsExactly("/mnist.models");
    assertThat(first.deployments().getFirst().name()).isEqualTo("mnist.models");
    assertThat(first.deployments().getFirst().clientName()).isEqualTo("mnist");
    assertThat(first.deployments().getFirst().settings()).containsEntry("model", "mnist");
    assertThat(first.deployments().getFirst().endpoint().toString())
        .isEqualTo("http://mnist-predictor-00001.models.svc.cluster.local");
    assertThat(first.traffic().getFirst().canaryTrafficPercent()).isEqualTo(100);
    assertThat(first.deployments().getFirst().scaling().maxOngoingRequests()).isEqualTo(64);
    assertThat(first.adminToken()).isEqualTo("0123456789abcdef");
    assertThat(first.deployments().getFirst().version())
        .isEqualTo("mnist-predictor-00001"); // pinnable by name

    ServerSettings canary =
        settings(
            configuration(
                routing,
                list(
                    """
        {"revisionName": "mnist-predictor-00002", "latestRevision": true, "percent": 25},
        {"revisionName": "mnist-predictor-00001", "latestRevision": false, "percent": 75, "tag": "prev"}""")));
    assertThat(canary.deployments().getFirst().endpoint().toString())
        .isEqualTo("http://mnist-predictor-00002.models.svc.cluster.local");
    assertThat(canary.traffic().getFirst().canaryTrafficPercent()).isEqualTo(25);
  }

  @Test
  void aServiceFirstSeenDuringACanaryStartsOnItsPreviousRevision() throws Exception {
    InferenceServiceRouting routing = new InferenceServiceRouting(SERVER);
    String traffic =
        """
        {"revisionName": "mnist-predictor-00002", "latestRevision": true, "percent": 25},
        {"revisionName": "mnist-predictor-00001", "latestRevision": false, "percent": 75, "tag": "prev"}""";
    assertThat(
            settings(configuration(routing, list(traffic)))
                .deployments()
                .getFirst()
                .endpoint()
                .toString())
        .contains("mnist-predictor-00001");
    assertThat(
            settings(configuration(routing, list(traffic)))
                .deployments()
                .getFirst()
                .endpoint()
                .toString())
        .contains("mnist-predictor-00002");
    assertThat(settings(configuration(routing, JSON.readTree("{\"items\": []}"))).applications())
        .isEmpty();
  }

  @Test
  void eachRevisionsReadyPodsAreItsServers() throws Exception {
    var groups =
        RevisionEndpoints.of(
            JSON.readTree(
                """
        {"items": [
          {"metadata": {"name": "mnist-predictor-00001", "namespace": "models"},
           "subsets": [{"addresses": [{"ip": "10.88.0.7"}, {"ip": "10.88.0.9"}],
                        "notReadyAddresses": [{"ip": "10.88.0.11"}],
                        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]},
          {"metadata": {"name": "mnist-predictor-00002", "namespace": "models"}}]}
        """));
    assertThat(groups)
        .containsOnlyKeys(
            "mnist-predictor-00001.models.svc.cluster.local",
            "mnist-predictor-00002.models.svc.cluster.local");
    assertThat(groups.get("mnist-predictor-00001.models.svc.cluster.local"))
        .extracting(Object::toString)
        .containsExactly("http://10.88.0.7:8080", "http://10.88.0.9:8080");
    assertThat(groups.get("mnist-predictor-00002.models.svc.cluster.local"))
        .isEmpty(); // scaled to zero
  }

  @Test
  void annotationsMirrorTrafficToTheLatestRevisionOrAnotherService() throws Exception {
    InferenceServiceRouting routing = new InferenceServiceRouting(SERVER);
    ServerSettings settings =
        settings(
            configuration(
                routing,
                JSON.readTree(
                    """
        {"items": [{"metadata": {"name": "mnist", "namespace": "models",
                     "annotations": {"serving.sluice.io/shadow-percent": "20", "serving.sluice.io/shadow-target": "mnist-next"}},
                    "status": {"components": {"predictor": {"traffic": [
                      {"revisionName": "mnist-predictor-00001", "latestRevision": true, "percent": 100}]}}}},
                   {"metadata": {"name": "mnist-next", "namespace": "models",
                     "annotations": {"serving.sluice.io/shadow-percent": "5"}},
                    "status": {"components": {"predictor": {"traffic": [
                      {"revisionName": "mnist-next-predictor-00001", "latestRevision": true, "percent": 100}]}}}}]}
        """)));
    assertThat(settings.traffic().get(0).shadow().deployment()).isEqualTo("mnist-next.models");
    assertThat(settings.traffic().get(0).shadow().percent()).isEqualTo(20);
    assertThat(settings.traffic().get(1).shadow().deployment()).isNull();
    assertThat(settings.traffic().get(1).shadow().percent()).isEqualTo(5);
  }

  private static JsonNode service(String namespace, String name, String annotations) {
    return JSON.createObjectNode()
        .set(
            "metadata",
            JSON.createObjectNode()
                .put("name", name)
                .put("namespace", namespace)
                .set("annotations", parse(annotations)))
        .deepCopy();
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Services routed to revision 1 of theirs, each given as namespace/name/annotations. */
  private static JsonNode routed(String... services) {
    var items = JSON.createArrayNode();
    for (String service : services) {
      String[] parts = service.split("\\|", 3);
      var node =
          (com.fasterxml.jackson.databind.node.ObjectNode) service(parts[0], parts[1], parts[2]);
      node.set(
          "status",
          parse(
              """
              {"components": {"predictor": {"traffic": [
                {"revisionName": "%s-predictor-00001", "latestRevision": true, "percent": 100}]}}}
              """
                  .formatted(parts[1])));
      items.add(node);
    }
    return JSON.createObjectNode().set("items", items);
  }

  @Test
  void servicesOfOneNameInTwoNamespacesAreTwoApplications() throws Exception {
    InferenceServiceRouting routing = new InferenceServiceRouting(SERVER);
    ServerSettings settings =
        settings(configuration(routing, routed("team-a|calc|{}", "team-b|calc|{}")));
    assertThat(settings.applications())
        .extracting(ServerSettings.ApplicationSettings::routePrefix)
        .containsExactly("/calc.team-a", "/calc.team-b");
    assertThat(settings.deployments())
        .extracting(deployment -> deployment.endpoint().toString())
        .containsExactly(
            "http://calc-predictor-00001.team-a.svc.cluster.local",
            "http://calc-predictor-00001.team-b.svc.cluster.local");
    assertThat(settings.deployments())
        .extracting(io.sluice.engine.model.DeploymentSpec::clientName)
        .containsExactly("calc", "calc");
  }

  @Test
  void aRouteThatCannotBeServedIsLeftOutAloneWithItsReason() throws Exception {
    InferenceServiceRouting routing = new InferenceServiceRouting(SERVER);
    RouteCheck check = new RouteCheck(routing, loader);
    List<InferenceServiceRouting.Route> routes =
        routing.routes(
            routed(
                "models|good|{}",
                "models|v1|{}", // a name the server's own routes use
                "models|metrics|{}",
                "models|bad-percent|{\"serving.sluice.io/shadow-percent\": \"lots\"}",
                "models|too-many|{\"serving.sluice.io/shadow-percent\": \"150\"}",
                "models|lost|{\"serving.sluice.io/shadow-percent\": \"10\", \"serving.sluice.io/shadow-target\": \"nowhere\"}",
                "models|mirrored|{\"serving.sluice.io/shadow-percent\": \"10\", \"serving.sluice.io/shadow-target\": \"good\"}"));
    assertThat(check.accepted(routes))
        .extracting(InferenceServiceRouting.Route::name)
        .containsExactly("good", "v1", "metrics", "mirrored");
    assertThat(check.refused())
        .containsOnlyKeys("models/bad-percent", "models/too-many", "models/lost");
    assertThat(check.refused().get("models/lost")).contains("nowhere.models").contains("no route");
    assertThat(check.refused().get("models/too-many")).contains("150");
    // what is accepted is served together
    assertThat(settings(routing.configuration(check.accepted(routes))).applications()).hasSize(4);
  }
}
