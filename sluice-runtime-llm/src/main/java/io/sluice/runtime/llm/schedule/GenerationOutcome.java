package io.sluice.runtime.llm.schedule;

/**
 * How a generation ended.
 *
 * @param reason {@code stop} (end of generation or a stop string), {@code length} (max tokens or
 *     the context is full) or {@code cancelled}
 * @param promptTokens tokens in the prompt
 * @param completionTokens tokens generated
 * @param cachedPromptTokens prompt tokens whose KV cells were reused from an earlier generation
 * @param queuedNanos time from submission to the first decode that held it
 * @param firstTokenNanos time from submission to the first generated token
 * @param preemptions times its cells were taken for others and recomputed
 * @param stopSequence the stop string that ended it, null when none did
 */
public record GenerationOutcome(
    String reason,
    int promptTokens,
    int completionTokens,
    int cachedPromptTokens,
    long queuedNanos,
    long firstTokenNanos,
    int preemptions,
    String stopSequence) {}
