package io.sluice.pipelines.voice;

import io.sluice.api.GenerateOptions;
import io.sluice.api.GenerateRequest;
import io.sluice.api.GenerateResult;
import io.sluice.api.InferRequest;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.engine.client.EngineClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One spoken turn: the audio is transcribed, the transcript goes to the LLM with the system prompt
 * and the conversation so far, and the reply is spoken piece by piece while the LLM is still
 * writing it: each piece the {@link SentenceSplitter} completes is synthesised as soon as the
 * pieces before it have been, so the first audio leaves after the first sentence rather than after
 * the whole reply. Every stage goes through the engine, so each deployment's replicas, queues and
 * scaling apply.
 */
public final class VoicePipeline {
  private final EngineClient engine;
  private final VoiceSpec spec;

  /**
   * What a turn produces, as it is produced; calls come from engine threads, one at a time per
   * kind.
   */
  public interface Listener {
    void transcript(String text);

    /** The next piece of the reply's text. */
    void reply(String delta);

    /** The next piece of speech: the TTS model's outputs, {@code audio} a WAV. */
    void speech(List<Tensor> chunk);

    /** A function the LLM calls (when the request offered tools); its text is not in the reply. */
    default void toolCall(GenerateRequest.ToolCall call) {}

    /** {@link #speech(List)}, knowing the piece of the reply's text it speaks. */
    default void speech(String piece, List<Tensor> chunk) {
      speech(chunk);
    }
  }

  /**
   * A finished turn, with when each stage first produced something (nanoseconds after the turn
   * started).
   *
   * @param transcribedNanos when the transcript was ready
   * @param firstTextNanos when the reply's first text arrived
   * @param firstAudioNanos when the first speech chunk was ready
   * @param lastTextNanos when the LLM finished
   */
  public record Turn(
      String transcript,
      String reply,
      GenerateResult generation,
      long transcribedNanos,
      long firstTextNanos,
      long firstAudioNanos,
      long lastTextNanos) {}

  public VoicePipeline(EngineClient engine, VoiceSpec spec) {
    this.engine = engine;
    this.spec = spec;
  }

  public VoiceSpec spec() {
    return spec;
  }

  /**
   * Runs one turn. Cancelling the returned future (a client that went away) stops the generation
   * and the speech in progress.
   *
   * @param wav the question, a WAV file
   * @param history the conversation so far (user and assistant messages), oldest first
   */
  public CompletableFuture<Turn> run(
      byte[] wav, List<GenerateRequest.ChatMessage> history, Listener listener) {
    return new TurnRun(history, listener, spec.systemPrompt(), true).start(wav);
  }

  /** The text spoken in {@code wav}, stripped (empty when no speech was recognised). */
  public CompletableFuture<String> transcribe(byte[] wav) {
    return engine
        .infer(
            new InferRequest(
                spec.asr(),
                null,
                null,
                Map.of(),
                List.of(Tensor.ofBytes("audio", new long[] {1}, List.of(wav))),
                List.of("text")))
        .thenApply(
            response ->
                new String(
                        response.outputs().getFirst().bytesElements().getFirst(),
                        StandardCharsets.UTF_8)
                    .strip());
  }

  /**
   * Prefills the LLM with a conversation whose last message is what the user has said so far, and
   * generates nothing worth keeping (one token): the LLM's prefix cache then holds it, so the
   * answer to the finished turn only prefills the words that came after.
   */
  public CompletableFuture<Void> prefill(
      List<GenerateRequest.ChatMessage> conversation, String instructions) {
    List<GenerateRequest.ChatMessage> messages =
        messages(instructions == null ? spec.systemPrompt() : instructions, conversation);
    return engine
        .generate(
            new GenerateRequest(
                spec.llm(),
                null,
                null,
                messages,
                1,
                spec.temperature(),
                null,
                List.of(),
                null,
                GenerateOptions.NONE),
            piece -> {})
        .thenApply(ignored -> null);
  }

  /**
   * Answers a conversation whose last message is the user's: the reply streams as text and, when
   * {@code speak}, as speech. Cancelling the returned future stops both.
   *
   * @param instructions the system message (null: the pipeline's)
   */
  public CompletableFuture<Turn> respond(
      List<GenerateRequest.ChatMessage> conversation,
      String instructions,
      boolean speak,
      Listener listener) {
    return respond(conversation, instructions, speak, null, listener);
  }

  /**
   * {@link #respond(List, String, boolean, Listener)} with options for the LLM (tools and the
   * choice among them; null for none), and a reply length of {@code maxTokens} when that is given.
   */
  public CompletableFuture<Turn> respond(
      List<GenerateRequest.ChatMessage> conversation,
      String instructions,
      boolean speak,
      Reply reply,
      Listener listener) {
    TurnRun run =
        new TurnRun(
            List.of(), listener, instructions == null ? spec.systemPrompt() : instructions, speak);
    run.asked = reply;
    run.answer(conversation, "");
    return run.result;
  }

  /** The system message, then the conversation. */
  private static List<GenerateRequest.ChatMessage> messages(
      String systemPrompt, List<GenerateRequest.ChatMessage> conversation) {
    List<GenerateRequest.ChatMessage> messages = new ArrayList<>();
    messages.add(new GenerateRequest.ChatMessage("system", systemPrompt));
    messages.addAll(conversation);
    return messages;
  }

  /**
   * What a caller asks of one reply beyond the pipeline's settings.
   *
   * @param options the LLM's options (tools, tool choice)
   * @param maxTokens the longest reply (null: the pipeline's {@code maxTokens})
   * @param voice the TTS model's voice (null: its default), when the model takes one
   */
  public record Reply(GenerateOptions options, Integer maxTokens, String voice) {}

  private final class TurnRun {
    private final long started = System.nanoTime();
    private final List<GenerateRequest.ChatMessage> history;
    private final Listener listener;
    private final String systemPrompt;
    private final boolean speak;
    private Reply asked;
    private final CompletableFuture<Turn> result = new CompletableFuture<>();
    private final SentenceSplitter splitter = new SentenceSplitter(spec.firstPieceWords());
    private final StringBuilder reply = new StringBuilder();
    private final List<CompletableFuture<?>> running = new ArrayList<>();
    private CompletableFuture<Void> speaking = CompletableFuture.completedFuture(null);
    private volatile long transcribed;
    private volatile long firstText;
    private volatile long firstAudio;

    TurnRun(
        List<GenerateRequest.ChatMessage> history,
        Listener listener,
        String systemPrompt,
        boolean speak) {
      this.history = List.copyOf(history);
      this.listener = listener;
      this.systemPrompt = systemPrompt;
      this.speak = speak;
      result.whenComplete(
          (turn, error) -> {
            if (error != null) {
              cancelAll();
            }
          });
    }

    CompletableFuture<Turn> start(byte[] wav) {
      CompletableFuture<String> transcription = track(transcribe(wav));
      transcription.whenComplete(
          (text, error) -> {
            if (error != null) {
              fail(error);
            } else if (text.isEmpty()) {
              fail(new InvalidInputException("no speech was recognised in the audio"));
            } else {
              transcribed = System.nanoTime() - started;
              listener.transcript(text);
              List<GenerateRequest.ChatMessage> conversation = new ArrayList<>(history);
              conversation.add(new GenerateRequest.ChatMessage("user", text));
              answer(conversation, text);
            }
          });
      return result;
    }

    private void answer(List<GenerateRequest.ChatMessage> conversation, String transcript) {
      List<GenerateRequest.ChatMessage> messages = messages(systemPrompt, conversation);
      GenerateRequest request;
      try {
        request =
            new GenerateRequest(
                spec.llm(),
                null,
                null,
                messages,
                asked != null && asked.maxTokens() != null ? asked.maxTokens() : spec.maxTokens(),
                spec.temperature(),
                null,
                List.of(),
                null,
                asked != null && asked.options() != null ? asked.options() : GenerateOptions.NONE);
      } catch (RuntimeException e) {
        fail(e);
        return;
      }
      track(
              engine.generate(
                  request,
                  piece -> {
                    piece.toolCalls().forEach(listener::toolCall);
                    if (piece.text().isEmpty()) {
                      return;
                    }
                    if (firstText == 0) {
                      firstText = System.nanoTime() - started;
                    }
                    reply.append(piece.text());
                    listener.reply(piece.text());
                    if (speak) {
                      splitter.add(piece.text()).forEach(this::speak);
                    }
                  }))
          .whenComplete(
              (generation, error) -> {
                if (error != null) {
                  fail(error);
                  return;
                }
                long lastText = System.nanoTime() - started;
                if (speak) {
                  splitter.finish().forEach(this::speak);
                }
                speakingNow()
                    .whenComplete(
                        (done, speechError) -> {
                          if (speechError != null) {
                            fail(speechError);
                          } else {
                            result.complete(
                                new Turn(
                                    transcript,
                                    reply.toString(),
                                    generation,
                                    transcribed,
                                    firstText,
                                    firstAudio,
                                    lastText));
                          }
                        });
              });
    }

    /** Queues a piece of the reply for speech, after the pieces before it. */
    private synchronized void speak(String piece) {
      List<Tensor> inputs = new ArrayList<>();
      inputs.add(
          Tensor.ofBytes("text", new long[] {1}, List.of(piece.getBytes(StandardCharsets.UTF_8))));
      if (asked != null && asked.voice() != null && takesVoice()) {
        inputs.add(
            Tensor.ofBytes(
                "voice", new long[] {1}, List.of(asked.voice().getBytes(StandardCharsets.UTF_8))));
      }
      InferRequest request =
          new InferRequest(spec.tts(), null, null, Map.of(), inputs, List.of("audio"));
      speaking =
          speaking.thenCompose(
              previous ->
                  result.isDone()
                      ? CompletableFuture.completedFuture(null)
                      : track(
                          engine.inferStream(
                              request,
                              chunk -> {
                                if (firstAudio == 0) {
                                  firstAudio = System.nanoTime() - started;
                                }
                                listener.speech(piece, chunk);
                              })));
    }

    private Boolean takesVoice;

    /** Whether the TTS model declares a {@code voice} input (asked once a turn). */
    private boolean takesVoice() {
      if (takesVoice == null) {
        try {
          takesVoice =
              engine.metadata(spec.tts(), null).inputs().stream()
                  .anyMatch(input -> input.name().equals("voice"));
        } catch (RuntimeException notLoaded) {
          takesVoice = false;
        }
      }
      return takesVoice;
    }

    private synchronized CompletableFuture<Void> speakingNow() {
      return speaking;
    }

    private synchronized <T> CompletableFuture<T> track(CompletableFuture<T> stage) {
      running.add(stage);
      if (result.isDone()) {
        stage.cancel(false);
      }
      return stage;
    }

    private synchronized void cancelAll() {
      running.forEach(stage -> stage.cancel(false));
    }

    private void fail(Throwable error) {
      Throwable cause =
          error instanceof CompletionException && error.getCause() != null
              ? error.getCause()
              : error;
      result.completeExceptionally(cause);
    }
  }
}
