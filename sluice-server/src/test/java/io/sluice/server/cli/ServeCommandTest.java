package io.sluice.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line contract: the listening line on stdout, and SIGTERM draining in-flight work then
 * exiting 0.
 */
class ServeCommandTest {
  private static final Pattern LISTENING =
      Pattern.compile("Sluice listening on http://127\\.0\\.0\\.1:(\\d+)");

  private static Process serve(List<String> args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                java,
                "--enable-native-access=ALL-UNNAMED",
                SluiceCommand.class.getName(),
                "serve"));
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
    // not -cp: ONNX Runtime crashes in a process whose command line is longer than about 4,000
    // characters
    builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
    return builder.start();
  }

  @Test
  void printsTheListeningLineThenDrainsAndExitsZeroOnSigterm(@TempDir Path dir) throws Exception {
    Path model = Files.writeString(dir.resolve("m"), "echo");
    Path config =
        Files.writeString(
            dir.resolve("sluice.yaml"),
            """
        applications:
          - name: slow
            deployments:
              - {name: slow, runtime: test-echo, storageUri: m, settings: {delayMs: '1500'}}
        """);
    Process process = serve(List.of("--config", config.toString(), "--port", "0"));
    try {
      BufferedReader stdout =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = stdout.readLine();
      Matcher matcher = LISTENING.matcher(line == null ? "" : line);
      assertThat(matcher.matches()).as("first stdout line: " + line).isTrue();
      int port = Integer.parseInt(matcher.group(1));

      HttpClient client = HttpClient.newHttpClient();
      CompletableFuture<HttpResponse<String>> inFlight =
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/v2/models/slow/infer"))
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      // SIGTERM only once the server runs the request, however slow the machine: the drain is what
      // is tested
      HttpRequest metrics =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!client
          .send(metrics, HttpResponse.BodyHandlers.ofString())
          .body()
          .contains("sluice_deployment_ongoing_requests{deployment=\"slow\"} 1.0")) {
        assertThat(System.nanoTime()).as("the request reached the model").isLessThan(deadline);
        Thread.sleep(20);
      }
      process.destroy(); // SIGTERM
      assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).isZero();
    } finally {
      process.destroyForcibly();
    }
  }

  @Test
  void badConfigurationExitsNonZeroNamingThePath(@TempDir Path dir) throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("sluice.yaml"),
            """
        applications:
          - name: a
            deployments:
              - {name: a, runtime: onnx, storageUri: missing.onnx}
        """);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SluiceCommand.class.getName(),
                "serve",
                "--config",
                config.toString(),
                "--port",
                "0")
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output)
        .contains("applications[0].deployments[0].storageUri: no such file")
        .doesNotContain("\tat ");
  }

  @Test
  void servesKServeInferenceServiceManifests(@TempDir Path dir) throws Exception {
    Files.copy(Path.of("../models/softmax/model.onnx"), dir.resolve("softmax.onnx"));
    Path manifest =
        Files.writeString(
            dir.resolve("isvc.yaml"),
            """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: softmax}
        spec:
          predictor:
            model: {modelFormat: {name: onnx}, storageUri: softmax.onnx}
        """);
    Process process = serve(List.of("-f", manifest.toString(), "--port", "0"));
    try {
      BufferedReader stdout =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = stdout.readLine();
      Matcher matcher = LISTENING.matcher(line == null ? "" : line);
      assertThat(matcher.matches()).as("first stdout line: " + line).isTrue();
      HttpResponse<String> ready =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + matcher.group(1)
                                  + "/softmax/v2/models/softmax/ready"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(200);
    } finally {
      process.destroy();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void servesAModelDirectoryAsKServeAsksItsRuntimesTo(@TempDir Path dir) throws Exception {
    Path models = Files.createDirectories(dir.resolve("mnt/models"));
    Files.copy(Path.of("../models/softmax/model.onnx"), models.resolve("model.onnx"));
    Process process =
        serve(
            List.of(
                "--model_name=softmax",
                "--model_dir=" + models,
                "--http_port=0",
                "--host",
                "127.0.0.1"));
    try {
      BufferedReader stdout =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      String line = stdout.readLine();
      Matcher matcher = LISTENING.matcher(line == null ? "" : line);
      assertThat(matcher.matches()).as("first stdout line: " + line).isTrue();
      HttpResponse<String> metadata =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + matcher.group(1) + "/v2/models/softmax"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(metadata.statusCode()).isEqualTo(200);
      assertThat(metadata.body()).contains("\"platform\":\"onnx_onnxv1\"");
    } finally {
      process.destroy();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }
}
