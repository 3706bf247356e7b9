package io.sluice.operator;

import static io.sluice.testkit.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart, offline: its CRDs are the ones generated from the Java classes, {@code helm lint
 * --strict} passes, it renders for Kubernetes 1.20, and its values schema refuses what it should.
 */
class ChartTest {
  private static final Path CHART = Path.of("../deploy/helm/sluice");
  private static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");

  private record Run(int exit, String output) {}

  private static Run helm(String... args) throws Exception {
    Path helm =
        Path.of(
            System.getenv()
                .getOrDefault(
                    "SLUICE_HELM",
                    System.getProperty("user.home") + "/.cache/sluice/helm/4.1.4/helm"));
    require(Files.isExecutable(helm), "helm missing: run bin/install-helm");
    List<String> command = new ArrayList<>(List.of(helm.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  @Test
  void theChartsCrdsAreTheGeneratedOnes() throws Exception {
    for (String crd : List.of("inferenceservices", "servingruntimes", "clusterservingruntimes")) {
      String file = crd + ".serving.kserve.io-v1.yml";
      assertThat(Files.readString(CHART.resolve("crds").resolve(file)))
          .as(
              "deploy/helm/sluice/crds/%s is stale: copy it from sluice-operator/%s",
              file, GENERATED)
          .isEqualTo(Files.readString(GENERATED.resolve(file)));
    }
  }

  @Test
  void theChartLintsAndRendersForKubernetes120() throws Exception {
    Run lint = helm("lint", "--strict", CHART.toString());
    assertThat(lint.exit()).as(lint.output()).isZero();
    Run rendered =
        helm(
            "template",
            "demo",
            CHART.toString(),
            "--namespace",
            "sluice-system",
            "--kube-version",
            "1.20.2",
            "--set",
            "operator.watchNamespaces={models,staging}",
            "--set",
            "predictor.image.tag=1.2.3");
    assertThat(rendered.exit()).as(rendered.output()).isZero();
    assertThat(rendered.output())
        .contains("kind: Deployment")
        .contains("image: \"k8s.local/sluice-operator:dev\"")
        .contains("value: \"k8s.local/sluice:1.2.3\"")
        .contains("value: \"models,staging\"")
        .contains("resources: [inferenceservices/status, inferenceservices/finalizers]")
        .contains("kind: ClusterServingRuntime")
        .contains("runAsNonRoot: true")
        .contains("readOnlyRootFilesystem: true");
    // watching two namespaces: Roles there, and nothing namespaced granted cluster-wide
    List<String> documents = List.of(rendered.output().split("\n---\n"));
    assertThat(documents)
        .filteredOn(d -> d.contains("kind: Role\n") && d.contains("resources: [deployments]"))
        .extracting(
            d ->
                d.contains("namespace: models")
                    ? "models"
                    : d.contains("namespace: staging") ? "staging" : "?")
        .containsExactlyInAnyOrder("models", "staging");
    assertThat(documents)
        .filteredOn(d -> d.contains("kind: ClusterRole\n"))
        .isNotEmpty()
        .allSatisfy(d -> assertThat(d).doesNotContain("deployments").doesNotContain("endpoints"));
    assertThat(documents)
        .filteredOn(d -> d.contains("kind: Role\n") && d.contains("leases"))
        .singleElement()
        .satisfies(d -> assertThat(d).contains("namespace: sluice-system"));
  }

  @Test
  void theValuesSchemaRefusesWhatItShould() throws Exception {
    assertThat(
            helm("template", "demo", CHART.toString(), "--set", "operator.replicaCount=-1").exit())
        .isNotZero();
    assertThat(helm("template", "demo", CHART.toString(), "--set", "operator.image.tag=").exit())
        .isNotZero();
    assertThat(helm("template", "demo", CHART.toString(), "--set", "unknown=1").exit()).isNotZero();
  }
}
