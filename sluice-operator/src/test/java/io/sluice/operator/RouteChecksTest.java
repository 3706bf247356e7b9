package io.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.operator.route.RoutedServices;
import io.sluice.operator.route.ShadowAnnotations;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What the operator checks of routing before it calls a service Ready: its shadow annotations, and
 * whether every router has taken its route.
 */
class RouteChecksTest {
  @Test
  void shadowAnnotationsMustBeAPercentageAndAServiceName() {
    assertThat(ShadowAnnotations.problem(null)).isNull();
    assertThat(ShadowAnnotations.problem(Map.of(ShadowAnnotations.PERCENT, "20"))).isNull();
    assertThat(
            ShadowAnnotations.problem(
                Map.of(ShadowAnnotations.PERCENT, "2.5", ShadowAnnotations.TARGET, "mnist-next")))
        .isNull();
    assertThat(ShadowAnnotations.problem(Map.of(ShadowAnnotations.PERCENT, "lots")))
        .contains("'lots' is not a percentage");
    assertThat(ShadowAnnotations.problem(Map.of(ShadowAnnotations.PERCENT, "150")))
        .contains("'150'");
    assertThat(ShadowAnnotations.problem(Map.of(ShadowAnnotations.PERCENT, "-5"))).contains("'-5'");
    assertThat(
            ShadowAnnotations.problem(
                Map.of(ShadowAnnotations.PERCENT, "5", ShadowAnnotations.TARGET, "Not_A_Name")))
        .contains("'Not_A_Name' is not an InferenceService name");
    assertThat(ShadowAnnotations.problem(Map.of(ShadowAnnotations.TARGET, "other")))
        .contains("needs");
  }

  @Test
  void aServiceIsRoutedOnceEveryRouterServesIt() {
    RoutedServices routed = new RoutedServices();
    assertThat(routed.notRouted("team-a", "calc")).as("before any report").isNull();
    routed.update(List.of(Set.of("calc.team-a", "calc.team-b"), Set.of("calc.team-b")));
    assertThat(routed.notRouted("team-b", "calc")).isNull();
    assertThat(routed.notRouted("team-a", "calc")).contains("not every router (2)");
    routed.update(List.of(Set.of("calc.team-b")));
    assertThat(routed.notRouted("team-a", "calc")).contains("the router has not taken");
    routed.update(List.of()); // no router answered: the last report stands
    assertThat(routed.notRouted("team-a", "calc")).isNotNull();
    routed.update(List.of(Set.of("calc.team-a")));
    assertThat(routed.notRouted("team-a", "calc")).isNull();
  }
}
