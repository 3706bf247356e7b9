package io.sluice.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.server.SluiceServer;
import io.sluice.spi.Runtimes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  private final ConfigLoader loader = new ConfigLoader(Runtimes.discover());
  @TempDir Path dir;

  private ServerSettings load(String yaml) throws Exception {
    Path file = dir.resolve("sluice.yaml");
    Files.writeString(file, yaml);
    return loader.load(file);
  }

  private void assertProblem(String yaml, String message) {
    assertThatThrownBy(() -> load(yaml)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @Test
  void appliesDefaultsAndResolvesPathsRelativeToTheFile() throws Exception {
    Files.createDirectories(dir.resolve("models"));
    Files.writeString(dir.resolve("models/a.onnx"), "x");
    ServerSettings settings =
        load(
            """
        applications:
          - name: mnist
            deployments:
              - {name: mnist, runtime: onnx, storageUri: models/a.onnx}
        """);
    assertThat(settings.host()).isEqualTo("127.0.0.1");
    assertThat(settings.port()).isEqualTo(8000);
    assertThat(settings.maxRequestBody()).isEqualTo(64L << 20);
    assertThat(settings.applications().get(0).routePrefix()).isEqualTo("/mnist");
    assertThat(settings.deployments().get(0).location()).isEqualTo(dir.resolve("models/a.onnx"));
    assertThat(settings.deployments().get(0).version()).isEqualTo("1");
  }

  @Test
  void acceptsFileUrisAndSizes() throws Exception {
    Path model = Files.writeString(dir.resolve("b.onnx"), "x");
    ServerSettings settings =
        load(
            """
        server: {host: 0.0.0.0, port: 0, maxRequestBody: 2Mi, grpcPort: 9001}
        applications:
          - name: b
            routePrefix: /bee/
            deployments:
              - {name: b, runtime: onnx, storageUri: '%s', version: "7"}
        """
                .formatted(model.toUri()));
    assertThat(settings.maxRequestBody()).isEqualTo(2L << 20);
    assertThat(settings.grpcPort()).isEqualTo(9001);
    assertThat(settings.applications().get(0).routePrefix()).isEqualTo("/bee");
    assertThat(settings.deployments().get(0).location()).isEqualTo(model);
  }

  @Test
  void unknownFieldIsReportedWithItsPath() {
    assertThatThrownBy(
            () ->
                load(
                    """
        applications:
          - name: a
            deployments:
              - {name: a, runtime: onnx, storageUri: x}
              - {name: b, runtime: onnx, storgeUri: x}
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "applications[0].deployments[1].storgeUri: unknown field; expected one of [")
        .hasMessageContaining("storageUri");
  }

  @Test
  void missingModelFileIsReportedWithItsPath() {
    assertProblem(
        """
        applications:
          - name: a
            deployments:
              - {name: a, runtime: onnx, storageUri: nowhere.onnx}
        """,
        "applications[0].deployments[0].storageUri: no such file: " + dir.resolve("nowhere.onnx"));
  }

  @Test
  void unknownRuntimeAndBadValuesAreReportedWithTheirPaths() throws Exception {
    assertThatThrownBy(
            () ->
                load(
                    """
        applications:
          - name: a
            deployments:
              - {name: a, runtime: tensorflow, storageUri: x}
        """))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "applications[0].deployments[0].runtime: unknown runtime 'tensorflow'; available runtimes: [")
        .hasMessageContaining("onnx");
    assertProblem(
        "server: {port: 70000}\n",
        "server.port: 70000 is not a port number (0-65535; 0 picks a free port)");
    assertProblem(
        "server: {maxRequestBody: lots}\n",
        "server.maxRequestBody: 'lots' is not a size such as 64Mi or 1048576");
    assertProblem(
        "server: {port: eighty}\n",
        "server.port: Cannot deserialize value of type `java.lang.Integer` from String \"eighty\": not a valid `java.lang.Integer` value");
    assertProblem(
        """
        applications:
          - name: a
            routePrefix: /v2
            deployments:
              - {name: a, runtime: onnx, storageUri: x}
        """,
        "applications[0].routePrefix: '/v2' would hide the server's own /v2 routes");
    assertProblem(
        """
        applications:
          - name: a
            deployments:
              - {runtime: onnx, storageUri: x}
        """,
        "applications[0].deployments[0].name: missing");
    Files.writeString(dir.resolve("m.onnx"), "x");
    assertProblem(
        """
        applications:
          - name: a
            deployments:
              - {name: a, runtime: onnx, storageUri: m.onnx, explainer: {method: lime}}
        """,
        "applications[0].deployments[0].explainer.method: must be kernel_shap or occlusion, got 'lime'");
  }

  @Test
  void memoryBudgetKeepAlivePriorityAndMultiplexAreReadAndChecked() throws Exception {
    Files.writeString(dir.resolve("m.onnx"), "x");
    Files.createDirectories(dir.resolve("many"));
    ServerSettings settings =
        load(
            """
        server: {memoryBudget: 6Gi, swapQuantum: 2s, swapQuantumRequests: 50}
        applications:
          - name: a
            deployments:
              - {name: lazy, runtime: onnx, storageUri: m.onnx, keepAlive: 5m, priority: 3}
              - {name: forever, runtime: onnx, storageUri: m.onnx, keepAlive: "-1", numReplicas: 2}
              - {name: many, runtime: onnx, storageUri: many, multiplex: {maxModelsPerReplica: 3}}
        """);
    assertThat(settings.memory().budgetBytes()).isEqualTo(6L << 30);
    assertThat(settings.memory().quantum().time()).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(settings.memory().quantum().requests()).isEqualTo(50);
    var lazy = settings.deployments().get(0);
    assertThat(lazy.priority()).isEqualTo(3);
    assertThat(lazy.scaling().autoscaling().minReplicas()).isZero();
    assertThat(lazy.scaling().autoscaling().maxReplicas()).isEqualTo(1);
    assertThat(lazy.scaling().autoscaling().scaleToZeroDelay())
        .isEqualTo(java.time.Duration.ofMinutes(5));
    var forever = settings.deployments().get(1);
    assertThat(forever.scaling().autoscaling().maxReplicas()).isEqualTo(2);
    assertThat(forever.scaling().autoscaling().scaleToZeroDelay().toDays()).isGreaterThan(3650);
    assertThat(settings.deployments().get(2).multiplex().maxModelsPerReplica()).isEqualTo(3);
    assertThat(settings.deployments().get(2).priority()).isZero();

    assertProblem(
        """
        applications:
          - name: a
            deployments:
              - {name: a, runtime: onnx, storageUri: m.onnx, keepAlive: 5m, autoscaling: {minReplicas: 1}}
        """,
        "applications[0].deployments[0].keepAlive: unloads idle replicas down to none, so it needs"
            + " autoscaling.minReplicas: 0");
    assertProblem(
        """
        applications:
          - name: a
            deployments:
              - {name: a, runtime: onnx, storageUri: many, multiplex: {maxModelsPerReplica: 2}, batching: {}}
        """,
        "applications[0].deployments[0].multiplex: a multiplexed deployment runs each request on"
            + " its own model: no batching, no transformer");
    assertProblem(
        "server: {memoryBudget: lots}\n",
        "server.memoryBudget: 'lots' is not a size such as 64Mi or 1048576");
  }

  @Test
  void duplicateModelNamesAreRejected() throws Exception {
    Files.writeString(dir.resolve("x"), "x");
    assertProblem(
        """
        applications:
          - name: a
            deployments: [{name: m, runtime: onnx, storageUri: x}]
          - name: b
            deployments: [{name: m, runtime: onnx, storageUri: x}]
        """,
        "applications[1].deployments[0].name: another deployment is already named 'm'");
  }

  @Test
  void anAdapterIsAModelNameOfItsOwnAndItsFileIsFetchedLikeAModels() throws Exception {
    Files.writeString(dir.resolve("x"), "x");
    Files.writeString(dir.resolve("l.gguf"), "lora");
    assertProblem(
        """
        applications:
          - name: a
            deployments:
              - {name: m, runtime: onnx, storageUri: x, adapters: {n: l.gguf}}
              - {name: n, runtime: onnx, storageUri: x}
        """,
        "applications[0].deployments[1].name: a LoRA adapter is already named 'n'");
    assertProblem(
        """
        applications:
          - name: a
            deployments:
              - {name: m, runtime: onnx, storageUri: x}
              - {name: k, runtime: onnx, storageUri: x, adapters: {m: l.gguf}}
        """,
        "applications[0].deployments[1].adapters.m: 'm' already names a deployment or another"
            + " adapter");
    assertThatThrownBy(
            () ->
                load(
                    """
                    applications:
                      - name: a
                        deployments: [{name: m, runtime: onnx, storageUri: x, adapters: {n: missing.gguf}}]
                    """))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("applications[0].deployments[0].adapters.n: ");
    var spec =
        load("""
            applications:
              - name: a
                deployments: [{name: m, runtime: onnx, storageUri: x, adapters: {n: l.gguf}}]
            """)
            .deployments()
            .getFirst();
    assertThat(spec.adapters()).containsExactly("n");
    assertThat(spec.settings())
        .containsEntry("adapter.n", dir.resolve("l.gguf").toAbsolutePath().toString());
  }

  @Test
  void unloadableModelFailsStartUpWithItsPath() throws Exception {
    Files.writeString(dir.resolve("garbage.onnx"), "this is not an ONNX graph");
    ServerSettings settings =
        load("""
        applications:
          - name: a
            deployments:
              - {name: good, runtime: test-echo, storageUri: garbage.onnx}
              - {name: bad, runtime: onnx, storageUri: garbage.onnx}
        """)
            .withListen("127.0.0.1", 0);
    assertThatThrownBy(() -> SluiceServer.start(settings, Runtimes.discover()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "applications[0].deployments[1].storageUri: ONNX Runtime cannot load");
  }

  @Test
  void sizesUnderstandBinaryUnits() throws Exception {
    assertThat(ConfigValues.parseSize("x", "1024")).isEqualTo(1024);
    assertThat(ConfigValues.parseSize("x", "64Mi")).isEqualTo(64L << 20);
    assertThat(ConfigValues.parseSize("x", "1GiB")).isEqualTo(1L << 30);
    assertThat(ConfigValues.parseSize("x", "8k")).isEqualTo(8L << 10);
  }
}
