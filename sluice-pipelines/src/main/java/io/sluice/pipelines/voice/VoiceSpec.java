package io.sluice.pipelines.voice;

import io.sluice.pipelines.PipelineSpec;
import java.util.Objects;

/**
 * The voice pipeline: speech in → speech recognition → LLM chat → speech synthesis → speech out.
 *
 * @param asr the deployment with the transcription contract (input {@code audio}, output {@code
 *     text})
 * @param llm the generative deployment that answers
 * @param tts the deployment with the speech contract (input {@code text}, output {@code audio})
 * @param systemPrompt the system message that starts every conversation
 * @param maxTokens the longest reply, in tokens
 * @param temperature the reply's sampling temperature (null: the model's default)
 * @param firstPieceWords the words after which the first piece of the reply is spoken, even
 *     mid-sentence
 * @param vad the voice activity deployment for realtime sessions' turn detection (Silero VAD's
 *     contract: inputs {@code input}, {@code state}, {@code sr}; outputs {@code output}, {@code
 *     stateN}); null: turns end only when the client commits its audio
 * @param prefillWhileSpeaking whether a realtime session gives the LLM the words of a turn while
 *     the user is still speaking (its prefix cache then holds them when the turn ends)
 */
public record VoiceSpec(
    String name,
    String routePrefix,
    String asr,
    String llm,
    String tts,
    String systemPrompt,
    int maxTokens,
    Float temperature,
    int firstPieceWords,
    String vad,
    boolean prefillWhileSpeaking)
    implements PipelineSpec {
  public static final int DEFAULT_FIRST_PIECE_WORDS = 8;

  public static final String DEFAULT_PROMPT =
      "You are a helpful voice assistant. Answer in one to three short spoken sentences, without lists or markup.";

  public VoiceSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(routePrefix, "routePrefix");
    Objects.requireNonNull(asr, "asr");
    Objects.requireNonNull(llm, "llm");
    Objects.requireNonNull(tts, "tts");
    systemPrompt = systemPrompt == null ? DEFAULT_PROMPT : systemPrompt;
  }
}
