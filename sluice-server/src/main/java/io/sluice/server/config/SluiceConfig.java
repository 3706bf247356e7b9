package io.sluice.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The configuration file, as written. Field names are a contract with users and tools: add fields,
 * never rename them. Validation happens in {@link ConfigLoader}.
 */
public record SluiceConfig(
    @JsonProperty("server") Server server,
    @JsonProperty("accelerators") List<AcceleratorConfig> accelerators,
    @JsonProperty("applications") List<Application> applications,
    @JsonProperty("graphs") List<Graph> graphs,
    @JsonProperty("pipelines") List<Pipeline> pipelines) {

  public SluiceConfig {
    server = server == null ? Server.DEFAULTS : server;
    applications = applications == null ? List.of() : List.copyOf(applications);
    graphs = graphs == null ? List.of() : List.copyOf(graphs);
    pipelines = pipelines == null ? List.of() : List.copyOf(pipelines);
  }

  /**
   * A pipeline at its own route prefix (default {@code /name}). {@code type: voice} chains {@code
   * asr} → {@code llm} → {@code tts}; {@code type: rag} answers chat from {@code documents} (files,
   * directories or glob patterns, relative to this file) with {@code embeddings}, an optional
   * {@code reranker} and {@code llm}.
   *
   * @param chunkSize characters per document chunk (default 800)
   * @param retrieve chunks kept by the embedding search (default 8)
   * @param keep chunks given to the LLM after reranking (default 3)
   * @param firstPieceWords a voice reply's first piece is spoken after this many words (default 8)
   */
  public record Pipeline(
      @JsonProperty("name") String name,
      @JsonProperty("type") String type,
      @JsonProperty("routePrefix") String routePrefix,
      @JsonProperty("asr") String asr,
      @JsonProperty("llm") String llm,
      @JsonProperty("tts") String tts,
      @JsonProperty("embeddings") String embeddings,
      @JsonProperty("reranker") String reranker,
      @JsonProperty("systemPrompt") String systemPrompt,
      @JsonProperty("maxTokens") Integer maxTokens,
      @JsonProperty("temperature") Double temperature,
      @JsonProperty("documents") List<String> documents,
      @JsonProperty("chunkSize") Integer chunkSize,
      @JsonProperty("retrieve") Integer retrieve,
      @JsonProperty("keep") Integer keep,
      @JsonProperty("firstPieceWords") Integer firstPieceWords,
      @JsonProperty("vad") String vad,
      @JsonProperty("prefillWhileSpeaking") Boolean prefillWhileSpeaking) {}

  /**
   * An inference graph (KServe's InferenceGraph spec): nodes by name, entered at {@code root},
   * served at {@code routePrefix} (default {@code /name}).
   */
  public record Graph(
      @JsonProperty("name") String name,
      @JsonProperty("routePrefix") String routePrefix,
      @JsonProperty("nodes") Map<String, GraphNode> nodes) {}

  /** A node: {@code routerType} Sequence, Switch, Ensemble or Splitter, and its steps. */
  public record GraphNode(
      @JsonProperty("routerType") String routerType,
      @JsonProperty("steps") List<GraphStep> steps) {}

  /**
   * A step, with KServe's field names: it calls the deployment {@code serviceName} or enters the
   * node {@code nodeName}; {@code data} is {@code $response} (default) or {@code $request}; {@code
   * condition} for Switch steps; {@code weight} for Splitter steps; {@code dependency} Hard
   * (default) or Soft; and Sluice's {@code timeout} (default 60s).
   */
  public record GraphStep(
      @JsonProperty("name") String name,
      @JsonProperty("serviceName") String serviceName,
      @JsonProperty("nodeName") String nodeName,
      @JsonProperty("data") String data,
      @JsonProperty("condition") String condition,
      @JsonProperty("weight") Double weight,
      @JsonProperty("dependency") String dependency,
      @JsonProperty("timeout") String timeout) {}

  /**
   * A declared accelerator. When {@code accelerators} is given it replaces discovery ({@code
   * nvidia-smi}, {@code rocm-smi}, Intel sysfs).
   */
  public record AcceleratorConfig(
      @JsonProperty("id") String id,
      @JsonProperty("vendor") String vendor,
      @JsonProperty("index") Integer index,
      @JsonProperty("type") String type,
      @JsonProperty("memory") String memory) {}

  /**
   * What one replica needs; {@code gpus} is a fraction of one device (0.5) or a whole number of
   * devices.
   */
  public record Resources(
      @JsonProperty("cpus") Double cpus,
      @JsonProperty("memory") String memory,
      @JsonProperty("gpus") Double gpus,
      @JsonProperty("gpuMemory") String gpuMemory,
      @JsonProperty("acceleratorType") String acceleratorType) {}

  /**
   * @param host address to bind (default 127.0.0.1)
   * @param port HTTP port for REST, SSE and gRPC (default 8000; 0 picks a free port)
   * @param grpcPort optional second, gRPC-only port
   * @param maxRequestBody largest accepted request body, e.g. {@code 64Mi} (default); larger ones
   *     get 413
   * @param eventLoops number of event-loop threads serving connections (default: CPU count)
   * @param modelThreads number of threads running model work (default: twice the CPU count)
   * @param autoscalerInterval how often autoscalers evaluate, e.g. {@code 1s} (default)
   * @param adminToken bearer token of the admin API (default: generated at start and logged)
   * @param adminLoopbackOnly whether the admin API answers loopback clients only (default true)
   * @param limits timeouts and connection limits of the HTTP port
   * @param auth API keys required by inference routes
   * @param tls HTTPS (and gRPC over TLS) on the same port
   * @param rateLimit requests per second and concurrent generations, per API key
   * @param modelRoots directories model files may come from (symbolic links resolved); unset:
   *     anywhere
   * @param dashboard whether the web dashboard is served at {@code /dashboard} (default true)
   * @param accessLog whether each request is logged as one JSON line on standard output (default
   *     false)
   * @param tracing OpenTelemetry tracing over OTLP/HTTP (default off)
   * @param memoryBudget host memory that replicas may hold together, e.g. {@code 16Gi} (default:
   *     what the host or its cgroup allows, less this server's heap)
   * @param swapQuantum how long a loaded replica keeps its room while another deployment waits for
   *     it (default 10s)
   * @param swapQuantumRequests or how many requests it is given meanwhile, whichever comes first
   *     (default: no request bound)
   */
  public record Server(
      @JsonProperty("host") String host,
      @JsonProperty("port") Integer port,
      @JsonProperty("grpcPort") Integer grpcPort,
      @JsonProperty("maxRequestBody") String maxRequestBody,
      @JsonProperty("eventLoops") Integer eventLoops,
      @JsonProperty("modelThreads") Integer modelThreads,
      @JsonProperty("autoscalerInterval") String autoscalerInterval,
      @JsonProperty("adminToken") String adminToken,
      @JsonProperty("adminLoopbackOnly") Boolean adminLoopbackOnly,
      @JsonProperty("limits") Limits limits,
      @JsonProperty("auth") Auth auth,
      @JsonProperty("tls") Tls tls,
      @JsonProperty("rateLimit") RateLimit rateLimit,
      @JsonProperty("modelRoots") List<String> modelRoots,
      @JsonProperty("dashboard") Boolean dashboard,
      @JsonProperty("accessLog") Boolean accessLog,
      @JsonProperty("tracing") Tracing tracing,
      @JsonProperty("memoryBudget") String memoryBudget,
      @JsonProperty("swapQuantum") String swapQuantum,
      @JsonProperty("swapQuantumRequests") Integer swapQuantumRequests) {
    static final Server DEFAULTS =
        new Server(
            null, null, null, null, null, null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null);
  }

  /**
   * @param endpoint the OTLP/HTTP collector (default {@code http://127.0.0.1:4318})
   * @param sampleRatio share of new traces recorded, 0 to 1 (default 1)
   * @param serviceName {@code service.name} of the spans (default {@code sluice})
   */
  public record Tracing(
      @JsonProperty("endpoint") String endpoint,
      @JsonProperty("sampleRatio") Double sampleRatio,
      @JsonProperty("serviceName") String serviceName) {}

  /**
   * Timeouts and limits of the HTTP port (durations like {@code 60s}); defaults follow nginx.
   *
   * @param headerTimeout time a new connection has to send a whole request header (default 60s)
   * @param bodyTimeout longest wait between two reads of a request body; 408 after it (default 60s)
   * @param idleTimeout how long a connection with no request in flight stays open (default 75s)
   * @param maxConnections open connections at most; more are closed at once (default 10000)
   * @param maxConcurrentStreams HTTP/2 (and gRPC) streams at once per connection (default 100)
   * @param maxHeaderSize largest request header block, e.g. {@code 8Ki} (default); larger ones get
   *     431
   * @param minPingInterval HTTP/2 PINGs closer than this with no data in between are strikes; the
   *     third closes the connection with GOAWAY {@code too_many_pings} (default 10s; {@code 0s}
   *     allows any)
   * @param keepAliveTime an HTTP/2 connection with requests in flight is pinged this often (default
   *     60s)
   * @param keepAliveTimeout and closed when a ping goes unanswered this long (default 20s)
   */
  public record Limits(
      @JsonProperty("headerTimeout") String headerTimeout,
      @JsonProperty("bodyTimeout") String bodyTimeout,
      @JsonProperty("idleTimeout") String idleTimeout,
      @JsonProperty("maxConnections") Integer maxConnections,
      @JsonProperty("maxConcurrentStreams") Integer maxConcurrentStreams,
      @JsonProperty("maxHeaderSize") String maxHeaderSize,
      @JsonProperty("minPingInterval") String minPingInterval,
      @JsonProperty("keepAliveTime") String keepAliveTime,
      @JsonProperty("keepAliveTimeout") String keepAliveTimeout) {}

  /**
   * API keys for inference routes, from the config, a file (one key per line, re-read when it
   * changes, so a mounted Kubernetes Secret can rotate them) and the {@code SLUICE_API_KEYS}
   * environment variable (comma-separated). No key from any of them: inference is open.
   *
   * @param protectHealth whether health probes need a key too (default false)
   * @param protectMetrics whether {@code /metrics} needs a key too (default false)
   * @param repositoryControl who may load and unload models through the V2 repository extension:
   *     {@code admin} (default: the admin token, under the admin API's rules) or {@code inference}
   *     (any client allowed to infer)
   */
  public record Auth(
      @JsonProperty("apiKeys") List<String> apiKeys,
      @JsonProperty("apiKeysFile") String apiKeysFile,
      @JsonProperty("protectHealth") Boolean protectHealth,
      @JsonProperty("protectMetrics") Boolean protectMetrics,
      @JsonProperty("repositoryControl") String repositoryControl) {}

  /**
   * TLS on the HTTP port: PEM certificate chain and private key, re-read when either file changes.
   *
   * @param clientCa PEM CA certificates; when given, the admin API requires a client certificate
   *     signed by one
   */
  public record Tls(
      @JsonProperty("certificate") String certificate,
      @JsonProperty("key") String key,
      @JsonProperty("clientCa") String clientCa) {}

  /**
   * A token bucket ({@code requestsPerSecond}, holding up to {@code burst} requests) and a cap on
   * concurrent text generations.
   */
  public record RateLimit(
      @JsonProperty("requestsPerSecond") Double requestsPerSecond,
      @JsonProperty("burst") Integer burst,
      @JsonProperty("maxConcurrentGenerations") Integer maxConcurrentGenerations) {}

  /**
   * A route prefix and the deployments behind it. {@code apiKeys} are accepted under this prefix
   * only (in addition to the server's); {@code rateLimit} bounds the application's requests from
   * all clients together.
   */
  public record Application(
      @JsonProperty("name") String name,
      @JsonProperty("routePrefix") String routePrefix,
      @JsonProperty("deployments") List<Deployment> deployments,
      @JsonProperty("apiKeys") List<String> apiKeys,
      @JsonProperty("rateLimit") RateLimit rateLimit) {
    public Application {
      deployments = deployments == null ? List.of() : List.copyOf(deployments);
    }
  }

  /** One model on one runtime, its replicas and routing limits (Ray Serve's names). */
  public record Deployment(
      @JsonProperty("name") String name,
      @JsonProperty("runtime") String runtime,
      @JsonProperty("storageUri") String storageUri,
      @JsonProperty("version") String version,
      @JsonProperty("settings") Map<String, String> settings,
      @JsonProperty("numReplicas") Integer numReplicas,
      @JsonProperty("maxOngoingRequests") Integer maxOngoingRequests,
      @JsonProperty("maxQueuedRequests") Integer maxQueuedRequests,
      @JsonProperty("maxQueueWait") String maxQueueWait,
      @JsonProperty("requestTimeout") String requestTimeout,
      @JsonProperty("autoscaling") Autoscaling autoscaling,
      @JsonProperty("resources") Resources resources,
      @JsonProperty("batching") Batching batching,
      @JsonProperty("canaryTrafficPercent") Integer canaryTrafficPercent,
      @JsonProperty("shadow") Shadow shadow,
      @JsonProperty("hosting") String hosting,
      @JsonProperty("explainer") Explainer explainer,
      @JsonProperty("transformer") Transformer transformer,
      @JsonProperty("servedName") String servedName,
      @JsonProperty("adapters") Map<String, String> adapters,
      @JsonProperty("keepAlive") String keepAlive,
      @JsonProperty("priority") Integer priority,
      @JsonProperty("multiplex") Multiplex multiplex) {
    public Deployment {
      settings = settings == null ? Map.of() : Map.copyOf(settings);
      adapters = adapters == null ? Map.of() : Map.copyOf(adapters);
    }
  }

  /**
   * Ray Serve's model multiplexing: {@code storageUri} holds many models (one per subfolder or
   * file), each replica keeps at most {@code maxModelsPerReplica} of them loaded.
   */
  public record Multiplex(@JsonProperty("maxModelsPerReplica") Integer maxModelsPerReplica) {}

  /**
   * Mirror {@code percent}% of requests to {@code deployment}, or to this deployment's latest
   * revision when omitted.
   */
  public record Shadow(
      @JsonProperty("deployment") String deployment, @JsonProperty("percent") Double percent) {}

  /**
   * The deployment's explainer ({@code :explain}, {@code /explain}): defaults a request's {@code
   * parameters} may override, except {@code maxModelCalls}, which bounds them.
   */
  public record Explainer(
      @JsonProperty("method") String method,
      @JsonProperty("samples") Integer samples,
      @JsonProperty("window") Integer window,
      @JsonProperty("baseline") Double baseline,
      @JsonProperty("batchSize") Integer batchSize,
      @JsonProperty("maxModelCalls") Integer maxModelCalls) {}

  /**
   * Pre- and post-processing around the deployment's model (KServe's transformer, in the process
   * that hosts the model): {@code steps} outermost first; custom steps' jars in {@code plugins}
   * (default: the {@code plugins} folder next to the configuration file).
   */
  public record Transformer(
      @JsonProperty("plugins") String plugins,
      @JsonProperty("steps") List<TransformerStep> steps) {}

  /**
   * A transformer step by name ({@code image}, {@code tokenize}, {@code classify}, or a plugin's)
   * and its settings.
   */
  public record TransformerStep(
      @JsonProperty("step") String step, @JsonProperty("settings") Map<String, String> settings) {}

  /**
   * Dynamic batching: up to {@code maxBatchSize} rows per model call, waiting at most {@code
   * batchWaitTimeout}.
   */
  public record Batching(
      @JsonProperty("maxBatchSize") Integer maxBatchSize,
      @JsonProperty("batchWaitTimeout") String batchWaitTimeout) {}

  /**
   * Autoscaling, with Ray Serve's names and defaults; durations like {@code 30s}, {@code 500ms},
   * {@code 10m}.
   */
  public record Autoscaling(
      @JsonProperty("minReplicas") Integer minReplicas,
      @JsonProperty("maxReplicas") Integer maxReplicas,
      @JsonProperty("initialReplicas") Integer initialReplicas,
      @JsonProperty("targetOngoingRequests") Double targetOngoingRequests,
      @JsonProperty("upscaleDelay") String upscaleDelay,
      @JsonProperty("downscaleDelay") String downscaleDelay,
      @JsonProperty("scaleToZeroDelay") String scaleToZeroDelay,
      @JsonProperty("lookBackPeriod") String lookBackPeriod,
      @JsonProperty("upscaleSmoothingFactor") Double upscaleSmoothingFactor,
      @JsonProperty("downscaleSmoothingFactor") Double downscaleSmoothingFactor) {}
}
