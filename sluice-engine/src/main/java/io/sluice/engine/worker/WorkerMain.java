package io.sluice.engine.worker;

import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.LoadedModel;
import io.sluice.spi.ModelRuntime;
import io.sluice.spi.ModelSource;
import io.sluice.spi.Runtimes;
import io.sluice.spi.StreamingModel;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The worker process: loads one model with the runtime the server names and runs inferences for it,
 * speaking {@link WorkerCodec} frames on stdin/stdout (logs go to stderr). It exits when stdin
 * closes, so it never outlives its server.
 */
public final class WorkerMain {
  private final DataOutputStream out;
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread thread = new Thread(runnable, "sluice-worker");
            thread.setDaemon(true);
            return thread;
          });
  private volatile LoadedModel model;

  /**
   * Spans of this worker's model calls, children of the parent's; no-op unless the parent traces.
   */
  private final WorkerSpans spans = WorkerSpans.fromEnvironment(System.getenv());

  private final Map<Long, AtomicBoolean> cancels = new ConcurrentHashMap<>();

  private WorkerMain(DataOutputStream out) {
    this.out = out;
  }

  public static void main(String[] args) throws IOException {
    DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)));
    System.setOut(
        new PrintStream(
            new FileOutputStream(FileDescriptor.err), true)); // stdout carries frames only
    DataInputStream in =
        new DataInputStream(new BufferedInputStream(new FileInputStream(FileDescriptor.in)));
    WorkerMain worker = new WorkerMain(out);
    try {
      worker.serve(in);
    } finally {
      worker.spans.close();
    }
    System.exit(0);
  }

  private void serve(DataInputStream in) throws IOException {
    while (true) {
      WorkerCodec.Frame frame;
      try {
        frame = WorkerCodec.read(in);
      } catch (EOFException e) {
        return; // the server went away
      }
      switch (frame.type()) {
        case WorkerCodec.LOAD -> load(frame);
        case WorkerCodec.INFER -> pool.execute(() -> infer(frame));
        case WorkerCodec.PING -> send(WorkerCodec.PONG, frame.id(), new byte[0]);
        case WorkerCodec.TOKENIZE, WorkerCodec.DETOKENIZE -> pool.execute(() -> tokenize(frame));
        case WorkerCodec.STATS -> {
          Map<String, Double> statistics =
              model instanceof io.sluice.spi.ReportingModel reporting
                  ? reporting.statistics()
                  : Map.of();
          send(
              WorkerCodec.RESULT,
              frame.id(),
              WorkerCodec.payload(
                  out -> {
                    out.writeInt(statistics.size());
                    for (Map.Entry<String, Double> entry : statistics.entrySet()) {
                      WorkerCodec.writeText(out, entry.getKey());
                      out.writeDouble(entry.getValue());
                    }
                  }));
        }
        case WorkerCodec.GENERATE, WorkerCodec.STREAM -> {
          AtomicBoolean cancelled = new AtomicBoolean();
          cancels.put(frame.id(), cancelled);
          pool.execute(
              () -> {
                if (frame.type() == WorkerCodec.GENERATE) {
                  generate(frame, cancelled);
                } else {
                  stream(frame, cancelled);
                }
              });
        }
        case WorkerCodec.CANCEL -> {
          AtomicBoolean cancelled = cancels.get(frame.id());
          if (cancelled != null) {
            cancelled.set(true);
          }
        }
        default ->
            send(
                WorkerCodec.ERROR,
                frame.id(),
                error(WorkerCodec.FAILED, "unknown frame type " + frame.type()));
      }
    }
  }

  private void load(WorkerCodec.Frame frame) {
    try {
      DataInputStream payload = WorkerCodec.reader(frame.payload());
      String runtimeName = WorkerCodec.readText(payload);
      ModelSource source =
          new ModelSource(
              WorkerCodec.readText(payload),
              WorkerCodec.readText(payload),
              Path.of(WorkerCodec.readText(payload)),
              WorkerCodec.readMap(payload));
      ModelRuntime runtime =
          Runtimes.discover()
              .find(runtimeName)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "the worker has no runtime named '" + runtimeName + "'"));
      io.sluice.engine.transform.TransformerSpec transformer = WorkerCodec.readTransformer(payload);
      model =
          io.sluice.engine.transform.TransformedModel.wrap(
              runtime.load(source), transformer, source.location());
      send(
          WorkerCodec.LOADED,
          frame.id(),
          WorkerCodec.payload(out -> WorkerCodec.writeMetadata(out, model.metadata())));
    } catch (Exception | LinkageError e) {
      send(
          WorkerCodec.ERROR,
          frame.id(),
          error(WorkerCodec.FAILED, e.getMessage() == null ? e.toString() : e.getMessage()));
    }
  }

  private void tokenize(WorkerCodec.Frame frame) {
    try {
      if (!(model instanceof io.sluice.spi.TokenizingModel tokenizing)) {
        throw new InvalidInputException("this model has no tokenizer to offer");
      }
      DataInputStream payload = WorkerCodec.reader(frame.payload());
      byte[] answer;
      if (frame.type() == WorkerCodec.TOKENIZE) {
        GenerateRequest request = WorkerCodec.readGenerate(payload);
        io.sluice.api.Tokenization tokenization =
            tokenizing.tokenize(request, payload.readBoolean());
        answer =
            WorkerCodec.payload(
                out -> {
                  out.writeInt(tokenization.tokens().length);
                  for (int token : tokenization.tokens()) {
                    out.writeInt(token);
                  }
                  out.writeInt(tokenization.maxModelLength());
                });
      } else {
        int[] tokens = new int[payload.readInt()];
        for (int i = 0; i < tokens.length; i++) {
          tokens[i] = payload.readInt();
        }
        String text = tokenizing.detokenize(tokens);
        answer = WorkerCodec.payload(out -> WorkerCodec.writeText(out, text));
      }
      send(WorkerCodec.RESULT, frame.id(), answer);
    } catch (Exception | Error e) {
      replyError(frame, e);
    }
  }

  private void infer(WorkerCodec.Frame frame) {
    try {
      DataInputStream payload = WorkerCodec.reader(frame.payload());
      List<Tensor> inputs = WorkerCodec.readTensors(payload);
      List<String> outputNames = WorkerCodec.readStrings(payload);
      List<Tensor> outputs;
      try (WorkerSpans.Open span =
          spans.open("worker inference", WorkerCodec.readTraceContext(payload))) {
        outputs = model.infer(inputs, outputNames);
      }
      send(
          WorkerCodec.RESULT,
          frame.id(),
          WorkerCodec.payload(out -> WorkerCodec.writeTensors(out, outputs)));
    } catch (Exception | Error e) {
      replyError(frame, e);
    }
  }

  private void generate(WorkerCodec.Frame frame, AtomicBoolean cancelled) {
    try {
      if (!(model instanceof GenerativeModel generative)) {
        throw new InvalidInputException("this model does not generate text");
      }
      DataInputStream payload = WorkerCodec.reader(frame.payload());
      GenerateRequest request = WorkerCodec.readGenerate(payload);
      GenerateResult result;
      try (WorkerSpans.Open span =
          spans.open("worker generation", WorkerCodec.readTraceContext(payload))) {
        result =
            generative.generate(
                request,
                text ->
                    send(
                        WorkerCodec.TEXT,
                        frame.id(),
                        WorkerCodec.payload(out -> WorkerCodec.writeGeneratedText(out, text))),
                cancelled::get);
      }
      send(
          WorkerCodec.DONE,
          frame.id(),
          WorkerCodec.payload(
              out -> {
                WorkerCodec.writeText(out, result.finishReason());
                out.writeInt(result.promptTokens());
                out.writeInt(result.completionTokens());
                WorkerCodec.writeNullable(out, result.stopSequence());
              }));
    } catch (Exception | Error e) {
      replyError(frame, e);
    } finally {
      cancels.remove(frame.id());
    }
  }

  /**
   * A streamed inference: each chunk as a CHUNK frame, then DONE; a model that cannot stream sends
   * one chunk.
   */
  private void stream(WorkerCodec.Frame frame, AtomicBoolean cancelled) {
    try {
      DataInputStream payload = WorkerCodec.reader(frame.payload());
      List<Tensor> inputs = WorkerCodec.readTensors(payload);
      List<String> outputNames = WorkerCodec.readStrings(payload);
      java.util.function.Consumer<List<Tensor>> onChunk =
          chunk ->
              send(
                  WorkerCodec.CHUNK,
                  frame.id(),
                  WorkerCodec.payload(out -> WorkerCodec.writeTensors(out, chunk)));
      if (model instanceof StreamingModel streaming) {
        streaming.inferStream(inputs, outputNames, onChunk, cancelled::get);
      } else {
        onChunk.accept(model.infer(inputs, outputNames));
      }
      send(WorkerCodec.DONE, frame.id(), new byte[0]);
    } catch (Exception | Error e) {
      replyError(frame, e);
    } finally {
      cancels.remove(frame.id());
    }
  }

  /** An ERROR frame that tells the server whether the input or the model was at fault. */
  private void replyError(WorkerCodec.Frame frame, Throwable failure) {
    byte kind =
        switch (failure) {
          case InvalidInputException invalid -> WorkerCodec.INVALID_INPUT;
          case io.sluice.api.ModelNotReadyException notReady -> WorkerCodec.NOT_READY;
          default -> WorkerCodec.FAILED;
        };
    send(
        WorkerCodec.ERROR,
        frame.id(),
        error(kind, failure.getMessage() == null ? failure.toString() : failure.getMessage()));
  }

  private static byte[] error(byte kind, String message) {
    return WorkerCodec.payload(
        out -> {
          out.writeByte(kind);
          WorkerCodec.writeText(out, message);
        });
  }

  private void send(byte type, long id, byte[] payload) {
    synchronized (out) {
      try {
        WorkerCodec.write(out, type, id, payload);
      } catch (IOException e) {
        System.exit(1); // the server is gone
      }
    }
  }
}
