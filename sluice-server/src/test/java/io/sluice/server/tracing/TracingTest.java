package io.sluice.server.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.sluice.engine.tracing.RequestSpans;
import io.sluice.engine.tracing.TracingSdk;
import io.sluice.server.TestServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenTelemetry: the caller's traceparent continues through decode, queue, inference and encode,
 * and on to remote replicas and workers.
 */
class TracingTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";
  private static final String BODY =
      "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1,2]}]}";

  private static HttpResponse<String> infer(TestServer server, String path) {
    return server.send(
        HttpRequest.newBuilder(server.uri(path))
            .header("traceparent", TRACEPARENT)
            .POST(HttpRequest.BodyPublishers.ofString(BODY))
            .build());
  }

  private static List<SpanData> await(InMemorySpanExporter exporter, Predicate<List<SpanData>> done)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      List<SpanData> spans = exporter.getFinishedSpanItems();
      if (done.test(spans)) {
        return spans;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("spans never arrived: " + exporter.getFinishedSpanItems());
  }

  private static SpanData named(List<SpanData> spans, String name) {
    return spans.stream()
        .filter(s -> s.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " in " + spans));
  }

  @Test
  void theCallersTraceGoesThroughEveryStageAndOnToARemoteReplica(@TempDir Path dir)
      throws Exception {
    InMemorySpanExporter frontSpans = InMemorySpanExporter.create();
    InMemorySpanExporter upstreamSpans = InMemorySpanExporter.create();
    OpenTelemetrySdk frontSdk =
        new TracingSdk("http://127.0.0.1:9", 1.0, "front").start(frontSpans);
    OpenTelemetrySdk upstreamSdk =
        new TracingSdk("http://127.0.0.1:9", 1.0, "upstream").start(upstreamSpans);
    Path upstreamDir = Files.createDirectories(dir.resolve("upstream"));
    try (TestServer upstream =
            TestServer.startTraced(
                upstreamDir,
                TestServer.echoConfig(upstreamDir, "up", "INPUT0:FP32:-1", ""),
                upstreamSdk);
        TestServer front =
            TestServer.startTraced(
                dir,
                """
             applications:
               - name: local
                 deployments:
                   - {name: local, runtime: test-echo, storageUri: '%s', settings: {inputs: 'INPUT0:FP32:-1'}}
               - name: proxy
                 deployments:
                   - {name: proxy, hosting: remote, storageUri: '%s', settings: {model: up}}
             """
                    .formatted(
                        Files.writeString(dir.resolve("m"), "echo").toUri(), upstream.uri("")),
                frontSdk)) {
      assertThat(infer(front, "/v2/models/local/infer").statusCode()).isEqualTo(200);
      List<SpanData> spans =
          await(
              frontSpans,
              s ->
                  s.stream().filter(d -> d.getName().equals("encode")).count() >= 1
                      && s.stream().anyMatch(d -> d.getName().equals("inference")));
      assertThat(spans).allSatisfy(span -> assertThat(span.getTraceId()).isEqualTo(TRACE_ID));
      SpanData server =
          spans.stream()
              .filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.SERVER)
              .findFirst()
              .orElseThrow();
      for (String stage : List.of("decode", "queue", "inference", "encode")) {
        assertThat(named(spans, stage).getParentSpanId())
            .as(stage + " is a child of the server span")
            .isEqualTo(server.getSpanId());
      }
      SpanData inference = named(spans, "inference");
      assertThat(inference.getAttributes().get(RequestSpans.DEPLOYMENT)).isEqualTo("local");
      assertThat(inference.getAttributes().get(RequestSpans.REVISION)).isEqualTo(1L);
      assertThat(inference.getAttributes().get(RequestSpans.REPLICA)).startsWith("local-r1-");
      assertThat(named(spans, "queue").getEndEpochNanos())
          .isLessThanOrEqualTo(inference.getStartEpochNanos());

      frontSpans.reset();
      assertThat(infer(front, "/v2/models/proxy/infer").statusCode()).isEqualTo(200);
      List<SpanData> remote =
          await(upstreamSpans, s -> s.stream().anyMatch(d -> d.getName().equals("inference")));
      SpanData remoteInference = named(remote, "inference");
      assertThat(remoteInference.getTraceId())
          .as("the remote replica continues the caller's trace")
          .isEqualTo(TRACE_ID);
      List<SpanData> local =
          await(frontSpans, s -> s.stream().anyMatch(d -> d.getName().equals("inference")));
      SpanData remoteServer =
          remote.stream()
              .filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.SERVER)
              .filter(s -> s.getTraceId().equals(TRACE_ID))
              .findFirst()
              .orElseThrow();
      assertThat(remoteServer.getParentSpanId())
          .as("under the front's inference span")
          .isEqualTo(named(local, "inference").getSpanId());
    }
  }

  @Test
  void spansReachAnOtlpCollectorFromTheServerAndItsWorkers(@TempDir Path dir) throws Exception {
    // The collector's side of OTLP/HTTP: each body parsed as the collector parses it, with the OTLP
    // protobufs.
    List<ExportTraceServiceRequest> received = new CopyOnWriteArrayList<>();
    List<String> refused = new CopyOnWriteArrayList<>();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    collector.createContext(
        "/v1/traces",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          String type = exchange.getRequestHeaders().getFirst("Content-Type");
          try {
            if (!"application/x-protobuf".equals(type)) {
              throw new IllegalArgumentException("content type " + type);
            }
            received.add(ExportTraceServiceRequest.parseFrom(body));
            byte[] ok = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, ok.length == 0 ? -1 : ok.length);
            exchange.getResponseBody().write(ok);
          } catch (IOException | RuntimeException e) {
            refused.add(e.toString());
            exchange.sendResponseHeaders(400, -1);
          }
          exchange.close();
        });
    collector.start();
    try {
      String model = Files.writeString(dir.resolve("m"), "echo").toUri().toString();
      try (TestServer server =
          TestServer.start(
              dir,
              """
          server:
            tracing: {endpoint: 'http://127.0.0.1:%d', serviceName: sluice-otlp-test}
          applications:
            - name: worked
              deployments:
                - {name: worked, runtime: test-echo, storageUri: '%s', hosting: worker, settings: {inputs: 'INPUT0:FP32:-1'}}
          """
                  .formatted(collector.getAddress().getPort(), model))) {
        assertThat(infer(server, "/v2/models/worked/infer").statusCode()).isEqualTo(200);
      }
      ByteString traceId = ByteString.copyFrom(HexFormat.of().parseHex(TRACE_ID));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Map<String, List<ExportedSpan>> byName = Map.of();
      while (System.nanoTime() < deadline) {
        byName = exported(received, traceId);
        if (byName.containsKey("worker inference") && byName.containsKey("encode")) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(refused).as("bodies a collector would refuse").isEmpty();
      assertThat(byName).containsKeys("decode", "queue", "inference", "encode", "worker inference");
      for (String stage : List.of("decode", "queue", "inference", "encode")) {
        assertThat(byName.get(stage))
            .extracting(ExportedSpan::service)
            .containsOnly("sluice-otlp-test");
      }
      ExportedSpan worker = byName.get("worker inference").getFirst();
      assertThat(worker.service()).isEqualTo("sluice-otlp-test-worker");
      Set<ByteString> serverSpans =
          byName.values().stream()
              .flatMap(List::stream)
              .filter(span -> span.service().equals("sluice-otlp-test"))
              .map(span -> span.span().getSpanId())
              .collect(Collectors.toSet());
      assertThat(serverSpans)
          .as("the worker's span is a child of one of the server's, in the caller's trace")
          .contains(worker.span().getParentSpanId());
    } finally {
      collector.stop(0);
    }
  }

  private record ExportedSpan(String service, Span span) {}

  /**
   * The spans of one trace in what the collector received, by name, with their resource's service
   * name.
   */
  private static Map<String, List<ExportedSpan>> exported(
      List<ExportTraceServiceRequest> requests, ByteString traceId) {
    Map<String, List<ExportedSpan>> byName = new java.util.HashMap<>();
    for (ExportTraceServiceRequest request : requests) {
      for (ResourceSpans resource : request.getResourceSpansList()) {
        String service =
            resource.getResource().getAttributesList().stream()
                .filter(attribute -> attribute.getKey().equals("service.name"))
                .map(attribute -> attribute.getValue().getStringValue())
                .findFirst()
                .orElse("");
        for (ScopeSpans scope : resource.getScopeSpansList()) {
          for (Span span : scope.getSpansList()) {
            if (span.getTraceId().equals(traceId)) {
              byName
                  .computeIfAbsent(span.getName(), name -> new ArrayList<>())
                  .add(new ExportedSpan(service, span));
            }
          }
        }
      }
    }
    return byName;
  }
}
