package io.sluice.server.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which service a router request means: by the alias it was sent to (DNS name in its forms, or
 * cluster IP), else by the path on the router's own address; equal names in two namespaces never
 * meet, and an ambiguous short name is left unrouted rather than guessed.
 */
class NamespaceAddressingTest {
  private static InferenceServiceRouting.Route route(String namespace, String name) {
    return new InferenceServiceRouting.Route(namespace, name, "", List.of());
  }

  private final NamespaceAddressing addressing = new NamespaceAddressing();

  NamespaceAddressingTest() {
    addressing.update(
        List.of(route("team-a", "calc"), route("team-b", "calc"), route("team-b", "solo")),
        Map.of(
            "10.96.0.10", "team-a/calc",
            "10.96.0.11", "team-b/calc",
            "fd00::11", "team-b/calc",
            "10.96.0.99", "team-c/gone"));
  }

  @Test
  void anAliasNamesItsNamespacesServiceWhateverThePath() {
    for (String host :
        List.of(
            "calc-predictor.team-a",
            "calc-predictor.team-a.svc",
            "calc-predictor.team-a.svc.cluster.local",
            "calc-predictor.team-a.svc.cluster.local.",
            "CALC-PREDICTOR.Team-A",
            "10.96.0.10")) {
      assertThat(addressing.route(host, "/v2/models/calc/infer"))
          .as(host)
          .isEqualTo("/calc.team-a/v2/models/calc/infer");
      assertThat(addressing.applicationOf(host)).as(host).isEqualTo("calc.team-a");
    }
    assertThat(addressing.route("calc-predictor.team-b", "/v2/models/calc/infer"))
        .isEqualTo("/calc.team-b/v2/models/calc/infer");
    assertThat(addressing.route("[fd00::11]", "/v1/models/calc:predict"))
        .isEqualTo("/calc.team-b/v1/models/calc:predict");
    // the seed's addresses carry the model's prefix; anything else under the alias stays its own
    assertThat(addressing.route("calc-predictor.team-a", "/calc/v2/models/calc/infer"))
        .isEqualTo("/calc.team-a/v2/models/calc/infer");
    assertThat(addressing.route("calc-predictor.team-a", "/openai/v1/chat/completions"))
        .isEqualTo("/calc.team-a/openai/v1/chat/completions");
    assertThat(addressing.route("calc-predictor.team-a", "/api/v1/status"))
        .isEqualTo("/calc.team-a/api/v1/status");
    assertThat(addressing.route("calc-predictor.team-a", "/metrics"))
        .isEqualTo("/calc.team-a/metrics");
  }

  @Test
  void aShortNameOrAPathNamesAServiceOnlyWhenItIsUnique() {
    assertThat(addressing.route("calc-predictor", "/v2/models/calc/infer")).isNull();
    assertThat(addressing.applicationOf("calc-predictor")).isNull();
    assertThat(addressing.route("solo-predictor", "/v2/models/solo/infer"))
        .isEqualTo("/solo.team-b/v2/models/solo/infer");
    assertThat(addressing.route("sluice-router.sluice-system", "/calc/v2/models/calc/infer"))
        .isNull();
    assertThat(addressing.route("10.96.0.2", "/solo/v2/models/solo/infer"))
        .isEqualTo("/solo.team-b/v2/models/solo/infer");
    assertThat(addressing.route("10.96.0.2", "/team-a/calc/v2/models/calc/infer"))
        .isEqualTo("/calc.team-a/v2/models/calc/infer");
    assertThat(addressing.route("10.96.0.2", "/team-b/calc/v1/models/calc:predict"))
        .isEqualTo("/calc.team-b/v1/models/calc:predict");
  }

  @Test
  void whatNamesNoRoutedServiceIsRoutedAsItCame() {
    assertThat(addressing.route("10.96.0.99", "/v2/models/gone/infer")).isNull();
    assertThat(addressing.route("other-predictor.team-a", "/v2/models/calc/infer")).isNull();
    assertThat(addressing.route("calc-predictor.team-c", "/v2/models/calc/infer")).isNull();
    assertThat(addressing.route("calc-predictor.team-a.example.com", "/v2")).isNull();
    assertThat(addressing.route("10.96.0.2", "/team-a/calc/metrics")).isNull();
    assertThat(addressing.route("10.96.0.2", "/v2/models/calc/infer")).isNull();
    assertThat(addressing.route("10.96.0.2", "/api/v1/status")).isNull();
    assertThat(addressing.route(null, "/v2/health/ready")).isNull();
    assertThat(addressing.route("", "/")).isNull();
  }
}
