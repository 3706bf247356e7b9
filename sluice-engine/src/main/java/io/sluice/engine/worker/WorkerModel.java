package io.sluice.engine.worker;

import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferenceFailedException;
import io.sluice.api.InvalidInputException;
import io.sluice.api.ModelMetadata;
import io.sluice.api.ModelNotReadyException;
import io.sluice.api.Tensor;
import io.sluice.engine.model.DeploymentSpec;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelLoadException;
import io.sluice.spi.StreamingModel;
import io.sluice.spi.SupervisedModel;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * A model loaded in a child JVM ({@link WorkerMain}) and used through {@link WorkerCodec} frames. A
 * crash of the child (a native abort, kill -9) fails only the requests it was running, with {@link
 * ModelNotReadyException}, and is reported once through {@code onExit} so the replica can restart.
 */
public final class WorkerModel
    implements SupervisedModel,
        GenerativeModel,
        StreamingModel,
        io.sluice.spi.TokenizingModel,
        io.sluice.spi.ReportingModel {
  private final String replicaId;
  private final Process process;
  private final DataOutputStream out;
  private final Map<Long, CompletableFuture<WorkerCodec.Frame>> pending = new ConcurrentHashMap<>();
  private final Map<Long, StreamRelay> streams = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicBoolean exited = new AtomicBoolean();
  private final IntConsumer onExit;
  private volatile boolean closing;
  private ModelMetadata metadata;

  private WorkerModel(String replicaId, Process process, IntConsumer onExit) {
    this.replicaId = replicaId;
    this.process = process;
    this.onExit = onExit;
    this.out = new DataOutputStream(new BufferedOutputStream(process.getOutputStream()));
  }

  /**
   * Starts a worker process and loads the model in it, blocking until it is ready.
   *
   * @param environment extra environment, e.g. the accelerator visibility variables of the
   *     placement
   * @param onExit told the exit code if the worker dies while it is not being closed
   */
  public static WorkerModel launch(
      String replicaId,
      DeploymentSpec spec,
      Map<String, String> settings,
      Map<String, String> environment,
      Duration loadTimeout,
      IntConsumer onExit)
      throws ModelLoadException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-Xss1m",
                "-Dsluice.replica=" + replicaId,
                WorkerMain.class.getName())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    // The class path goes in the environment, not on the command line: ONNX Runtime 1.29 crashes
    // (SIGSEGV) creating
    // its environment in a process whose command line is longer than about 4,000 characters.
    builder.environment().put("CLASSPATH", System.getProperty("java.class.path"));
    builder.environment().putAll(environment);
    builder.environment().putAll(io.sluice.engine.tracing.TracingSdk.environmentForWorkers());
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new ModelLoadException("cannot start a worker process: " + e.getMessage(), e);
    }
    WorkerModel model = new WorkerModel(replicaId, process, onExit);
    model.startReader();
    try {
      WorkerCodec.Frame reply =
          model
              .call(
                  WorkerCodec.LOAD,
                  WorkerCodec.payload(
                      out -> {
                        WorkerCodec.writeText(out, spec.runtime());
                        WorkerCodec.writeText(out, spec.name());
                        WorkerCodec.writeText(out, spec.version());
                        WorkerCodec.writeText(out, spec.location().toString());
                        WorkerCodec.writeMap(out, settings);
                        WorkerCodec.writeTransformer(out, spec.transformer());
                      }))
              .get(loadTimeout.toMillis(), TimeUnit.MILLISECONDS);
      if (reply.type() == WorkerCodec.ERROR) {
        throw new ModelLoadException(errorMessage(reply));
      }
      model.metadata = WorkerCodec.readMetadata(WorkerCodec.reader(reply.payload()));
      return model;
    } catch (ModelLoadException e) {
      model.close();
      throw e;
    } catch (TimeoutException e) {
      model.close();
      throw new ModelLoadException(
          "the worker did not load the model within " + loadTimeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      model.close();
      throw new ModelLoadException("interrupted while the worker loaded the model");
    } catch (ExecutionException | IOException e) {
      model.close();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new ModelLoadException("the worker failed while loading: " + cause.getMessage(), cause);
    }
  }

  public long pid() {
    return process.pid();
  }

  /** The worker process's resident set: the model, its runtime and the worker JVM together. */
  @Override
  public long memoryBytes() {
    return ResidentSet.ofProcess(process.pid());
  }

  private void startReader() {
    Thread reader =
        new Thread(
            () -> {
              try (DataInputStream in =
                  new DataInputStream(new BufferedInputStream(process.getInputStream()))) {
                while (true) {
                  WorkerCodec.Frame frame = WorkerCodec.read(in);
                  CompletableFuture<WorkerCodec.Frame> waiting = pending.remove(frame.id());
                  if (waiting != null) {
                    waiting.complete(frame);
                  } else {
                    StreamRelay stream = streams.get(frame.id());
                    if (stream != null) {
                      stream.arrive(frame);
                    }
                  }
                }
              } catch (IOException e) {
                exited();
              }
            },
            "sluice-worker-reader-" + replicaId);
    reader.setDaemon(true);
    reader.start();
  }

  private void exited() {
    if (!exited.compareAndSet(false, true)) {
      return;
    }
    int code;
    try {
      code = process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      code = -1;
    }
    ModelNotReadyException failure =
        new ModelNotReadyException(
            "the worker process of replica "
                + replicaId
                + " exited (code "
                + code
                + ") while running the request");
    // Remove-then-fail, never clear(): a call registering right now either is seen here or sees
    // `exited`.
    for (Long id : pending.keySet()) {
      CompletableFuture<WorkerCodec.Frame> future = pending.remove(id);
      if (future != null) {
        future.completeExceptionally(failure);
      }
    }
    byte[] message =
        WorkerCodec.payload(
            out -> {
              out.writeByte(WORKER_EXITED);
              WorkerCodec.writeText(out, failure.getMessage());
            });
    streams
        .values()
        .forEach(stream -> stream.arrive(new WorkerCodec.Frame(WorkerCodec.ERROR, 0, message)));
    if (!closing) {
      onExit.accept(code);
    }
  }

  private CompletableFuture<WorkerCodec.Frame> call(byte type, byte[] payload) throws IOException {
    long id = ids.incrementAndGet();
    CompletableFuture<WorkerCodec.Frame> reply = new CompletableFuture<>();
    pending.put(id, reply);
    if (exited.get()) {
      pending.remove(id);
      throw new IOException("the worker process has exited");
    }
    synchronized (out) {
      WorkerCodec.write(out, type, id, payload);
    }
    return reply;
  }

  @Override
  public ModelMetadata metadata() {
    return metadata;
  }

  private volatile Map<String, Double> statistics = Map.of();
  private volatile long statisticsAskedNanos;

  /**
   * The worker's last reported statistics; asks for fresh ones (answered later) when these are over
   * a second old, so a scrape never waits on the worker.
   */
  @Override
  public Map<String, Double> statistics() {
    long now = System.nanoTime();
    if (now - statisticsAskedNanos > 1_000_000_000L && !exited.get()) {
      statisticsAskedNanos = now;
      try {
        call(WorkerCodec.STATS, new byte[0])
            .thenAccept(
                reply -> {
                  if (reply.type() == WorkerCodec.RESULT) {
                    try {
                      DataInputStream in = WorkerCodec.reader(reply.payload());
                      int count = in.readInt();
                      Map<String, Double> fresh = new java.util.HashMap<>();
                      for (int i = 0; i < count; i++) {
                        fresh.put(WorkerCodec.readText(in), in.readDouble());
                      }
                      statistics = Map.copyOf(fresh);
                    } catch (IOException ignored) {
                      // keep the last ones
                    }
                  }
                });
      } catch (IOException ignored) {
        // the worker is gone: keep the last ones
      }
    }
    return statistics;
  }

  @Override
  public io.sluice.api.Tokenization tokenize(GenerateRequest request, boolean addSpecial) {
    byte[] reply =
        exchange(
            WorkerCodec.TOKENIZE,
            WorkerCodec.payload(
                out -> {
                  WorkerCodec.writeGenerate(out, request);
                  out.writeBoolean(addSpecial);
                }));
    try {
      DataInputStream in = WorkerCodec.reader(reply);
      int[] tokens = new int[in.readInt()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = in.readInt();
      }
      return new io.sluice.api.Tokenization(tokens, in.readInt());
    } catch (IOException e) {
      throw new InferenceFailedException("unreadable answer from the worker: " + e.getMessage());
    }
  }

  @Override
  public String detokenize(int[] tokens) {
    byte[] reply =
        exchange(
            WorkerCodec.DETOKENIZE,
            WorkerCodec.payload(
                out -> {
                  out.writeInt(tokens.length);
                  for (int token : tokens) {
                    out.writeInt(token);
                  }
                }));
    try {
      return WorkerCodec.readText(WorkerCodec.reader(reply));
    } catch (IOException e) {
      throw new InferenceFailedException("unreadable answer from the worker: " + e.getMessage());
    }
  }

  @Override
  public List<Tensor> infer(List<Tensor> inputs, List<String> outputNames) {
    byte[] reply =
        exchange(
            WorkerCodec.INFER,
            WorkerCodec.payload(
                out -> {
                  WorkerCodec.writeTensors(out, inputs);
                  WorkerCodec.writeStrings(out, outputNames);
                  WorkerCodec.writeTraceContext(out);
                }));
    try {
      return WorkerCodec.readTensors(WorkerCodec.reader(reply));
    } catch (IOException e) {
      throw new InferenceFailedException("unreadable answer from the worker: " + e.getMessage());
    }
  }

  /**
   * One request, one RESULT answer: its payload, or the worker's error thrown as the protocol's
   * exception.
   */
  private byte[] exchange(byte type, byte[] payload) {
    WorkerCodec.Frame reply;
    try {
      reply = call(type, payload).get();
    } catch (IOException e) {
      throw new ModelNotReadyException("the worker process of replica " + replicaId + " is gone");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InferenceFailedException("interrupted while waiting for the worker");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new InferenceFailedException("worker failed: " + e.getCause());
    }
    if (reply.type() != WorkerCodec.ERROR) {
      return reply.payload();
    }
    try {
      DataInputStream in = WorkerCodec.reader(reply.payload());
      byte kind = in.readByte();
      String message = WorkerCodec.readText(in);
      throw switch (kind) {
        case WorkerCodec.INVALID_INPUT -> new InvalidInputException(message);
        case WorkerCodec.NOT_READY -> new ModelNotReadyException(message);
        default -> new InferenceFailedException(message);
      };
    } catch (IOException e) {
      throw new InferenceFailedException("unreadable answer from the worker: " + e.getMessage());
    }
  }

  /** Error kind used locally when the worker died under a stream. */
  private static final byte WORKER_EXITED = 99;

  @Override
  public GenerateResult generate(
      GenerateRequest request,
      Consumer<io.sluice.api.GeneratedText> onText,
      BooleanSupplier cancelled) {
    WorkerCodec.Frame done =
        exchangeStream(
            WorkerCodec.GENERATE,
            WorkerCodec.payload(
                out -> {
                  WorkerCodec.writeGenerate(out, request);
                  WorkerCodec.writeTraceContext(out);
                }),
            WorkerCodec.TEXT,
            text -> onText.accept(WorkerCodec.readGeneratedText(text)),
            cancelled,
            "generating");
    try {
      DataInputStream in = WorkerCodec.reader(done.payload());
      return new GenerateResult(
          WorkerCodec.readText(in), in.readInt(), in.readInt(), WorkerCodec.readNullable(in));
    } catch (IOException e) {
      throw new InferenceFailedException("unreadable answer from the worker: " + e.getMessage());
    }
  }

  @Override
  public void inferStream(
      List<Tensor> inputs,
      List<String> outputNames,
      Consumer<List<Tensor>> onChunk,
      BooleanSupplier cancelled) {
    exchangeStream(
        WorkerCodec.STREAM,
        WorkerCodec.payload(
            out -> {
              WorkerCodec.writeTensors(out, inputs);
              WorkerCodec.writeStrings(out, outputNames);
            }),
        WorkerCodec.CHUNK,
        chunk -> {
          try {
            onChunk.accept(WorkerCodec.readTensors(WorkerCodec.reader(chunk)));
          } catch (IOException e) {
            throw new InferenceFailedException(
                "unreadable chunk from the worker: " + e.getMessage());
          }
        },
        cancelled,
        "streaming");
  }

  /**
   * Sends a streaming request and relays its {@code pieceType} frames to {@code onPiece} (on the
   * reader thread, {@link StreamRelay}) until DONE (returned) or ERROR (thrown); forwards a
   * cancellation to the worker once {@code cancelled} says so, or once {@code onPiece} threw.
   */
  private WorkerCodec.Frame exchangeStream(
      byte requestType,
      byte[] payload,
      byte pieceType,
      Consumer<byte[]> onPiece,
      BooleanSupplier cancelled,
      String doing) {
    long id = ids.incrementAndGet();
    StreamRelay stream = new StreamRelay(pieceType, onPiece);
    streams.put(id, stream);
    try {
      if (exited.get()) {
        throw new ModelNotReadyException("the worker process of replica " + replicaId + " is gone");
      }
      synchronized (out) {
        WorkerCodec.write(out, requestType, id, payload);
      }
      boolean cancelSent = false;
      while (true) {
        WorkerCodec.Frame frame;
        try {
          frame = stream.next(50);
        } catch (RuntimeException consumerFailed) {
          if (!cancelSent) {
            cancel(id);
          }
          throw consumerFailed;
        }
        if (!cancelSent && cancelled.getAsBoolean()) {
          cancelSent = true;
          cancel(id);
        }
        if (frame == null) {
          continue;
        }
        if (frame.type() == WorkerCodec.DONE) {
          return frame;
        } else if (frame.type() == WorkerCodec.ERROR) {
          DataInputStream in = WorkerCodec.reader(frame.payload());
          byte kind = in.readByte();
          String message = WorkerCodec.readText(in);
          throw switch (kind) {
            case WorkerCodec.INVALID_INPUT -> new InvalidInputException(message);
            case WorkerCodec.NOT_READY, WORKER_EXITED -> new ModelNotReadyException(message);
            default -> new InferenceFailedException(message);
          };
        } else {
          throw new InferenceFailedException("unexpected worker frame " + frame.type());
        }
      }
    } catch (IOException e) {
      throw new ModelNotReadyException("the worker process of replica " + replicaId + " is gone");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InferenceFailedException("interrupted while " + doing);
    } finally {
      streams.remove(id);
    }
  }

  /** Tells the worker to stop request {@code id}. */
  private void cancel(long id) throws IOException {
    synchronized (out) {
      WorkerCodec.write(out, WorkerCodec.CANCEL, id, new byte[0]);
    }
  }

  /** Whether the worker answers a ping within {@code timeout}. */
  @Override
  public boolean ping(Duration timeout) {
    try {
      return call(WorkerCodec.PING, new byte[0])
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .type()
          == WorkerCodec.PONG;
    } catch (IOException | ExecutionException | TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Kills a worker that stopped answering; its exit is reported like a crash. */
  public void kill() {
    process.destroyForcibly();
  }

  private static String errorMessage(WorkerCodec.Frame reply) {
    try {
      DataInputStream in = WorkerCodec.reader(reply.payload());
      in.readByte();
      return WorkerCodec.readText(in);
    } catch (IOException e) {
      return "unreadable error from the worker";
    }
  }

  @Override
  public void close() {
    closing = true;
    try {
      out.close(); // the worker exits when its stdin closes
    } catch (IOException ignored) {
      // already gone
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
