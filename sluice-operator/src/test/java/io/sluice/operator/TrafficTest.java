package io.sluice.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.operator.crd.InferenceServiceStatus;
import io.sluice.operator.status.StatusBuilder;
import io.sluice.operator.status.Traffic;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrafficTest {
  private static final List<String> TWO = List.of("m-predictor-00001", "m-predictor-00002");

  @Test
  void theLatestTakesEverythingOnceReadyUnlessItIsACanary() {
    Traffic waiting = Traffic.decide(TWO, false, "m-predictor-00001", 25);
    assertThat(waiting.latestPercent()).isZero();
    assertThat(waiting.previous()).isEqualTo("m-predictor-00001");
    assertThat(waiting.retired()).isEmpty();

    Traffic canary = Traffic.decide(TWO, true, "m-predictor-00001", 25);
    assertThat(canary.latestPercent()).isEqualTo(25);
    assertThat(canary.previous()).isEqualTo("m-predictor-00001");
    assertThat(canary.retired()).isEmpty();

    Traffic promoted = Traffic.decide(TWO, true, "m-predictor-00001", null);
    assertThat(promoted.latestPercent()).isEqualTo(100);
    assertThat(promoted.rolledOut()).isTrue();
    assertThat(promoted.retired()).containsExactly("m-predictor-00001");

    assertThat(Traffic.decide(List.of("m-predictor-00001"), false, null, null).latestPercent())
        .isEqualTo(100);
  }

  @Test
  void statusShowsTheSplitAndKeepsTransitionTimesWhileConditionsHold() {
    Instant start = Instant.parse("2026-12-01T10:00:00Z");
    InferenceServiceStatus first =
        new StatusBuilder(null, 1L, start)
            .serving(
                "http://m-predictor.ns.svc.cluster.local",
                Traffic.decide(TWO.subList(0, 1), true, null, null),
                "m-predictor-00001",
                true,
                null,
                null,
                null);
    assertThat(first.components.get("predictor").latestRolledoutRevision)
        .isEqualTo("m-predictor-00001");
    InferenceServiceStatus canary =
        new StatusBuilder(first, 2L, start.plusSeconds(60))
            .serving(
                "http://m-predictor.ns.svc.cluster.local",
                Traffic.decide(TWO, true, "m-predictor-00001", 25),
                "m-predictor-00002",
                true,
                null,
                null,
                null);
    var predictor = canary.components.get("predictor");
    assertThat(predictor.traffic)
        .extracting(t -> t.revisionName + ":" + t.percent + ":" + t.tag + ":" + t.latestRevision)
        .containsExactly("m-predictor-00002:25:null:true", "m-predictor-00001:75:prev:false");
    assertThat(predictor.latestRolledoutRevision).isEqualTo("m-predictor-00001");
    assertThat(predictor.previousRolledoutRevision).isEqualTo("m-predictor-00001");
    assertThat(canary.conditions)
        .extracting(c -> c.type + "=" + c.status)
        .containsExactly(
            "IngressReady=True", "LatestDeploymentReady=True", "PredictorReady=True", "Ready=True");
    assertThat(canary.conditions.getLast().lastTransitionTime).isEqualTo("2026-12-01T10:00:00Z");
    assertThat(canary.observedGeneration).isEqualTo(2L);
  }

  @Test
  void aLatestRevisionThatIsNotReadyAndARouteNotTakenAreSaidInTheConditions() {
    Instant start = Instant.parse("2026-12-01T10:00:00Z");
    InferenceServiceStatus rolledOut =
        new StatusBuilder(null, 1L, start)
            .serving(
                "http://m-predictor.ns.svc.cluster.local",
                Traffic.decide(TWO.subList(0, 1), true, null, null),
                "m-predictor-00001",
                true,
                null,
                null,
                "the router has not taken the route yet");
    assertThat(rolledOut.conditions)
        .extracting(c -> c.type + "=" + c.status + ":" + c.reason)
        .containsExactly(
            "IngressReady=False:NotRouted",
            "LatestDeploymentReady=True:null",
            "PredictorReady=True:null",
            "Ready=False:NotRouted");
    // a second revision that cannot load: the first keeps all traffic and the service stays Ready
    Traffic stuck = Traffic.decide(TWO, false, "m-predictor-00001", null);
    assertThat(stuck.latestPercent()).isZero();
    assertThat(stuck.retired()).isEmpty();
    InferenceServiceStatus failing =
        new StatusBuilder(rolledOut, 2L, start.plusSeconds(60))
            .serving(
                "http://m-predictor.ns.svc.cluster.local",
                stuck,
                "m-predictor-00001",
                true,
                null,
                "revision m-predictor-00002 has no ready pod yet: kserve-container CrashLoopBackOff",
                null);
    assertThat(failing.conditions)
        .extracting(c -> c.type + "=" + c.status)
        .containsExactly(
            "IngressReady=True",
            "LatestDeploymentReady=False",
            "PredictorReady=True",
            "Ready=True");
    assertThat(failing.conditions.get(1).message).contains("CrashLoopBackOff");
    assertThat(failing.components.get("predictor").traffic)
        .extracting(t -> t.revisionName + ":" + t.percent)
        .containsExactly("m-predictor-00001:100");
  }
}
