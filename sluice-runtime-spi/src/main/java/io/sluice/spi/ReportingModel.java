package io.sluice.spi;

import java.util.Map;

/**
 * A model that counts what it does beyond answering requests, for {@code /metrics}: an LLM's
 * tokens, its running and waiting generations, its KV cache. {@link #statistics} returns at once
 * (it is read at scrape time); names are those of {@link Statistic}.
 */
public interface ReportingModel extends LoadedModel {
  Map<String, Double> statistics();

  /** The statistics Sluice exports, each a gauge (a level) or a counter (only grows). */
  enum Statistic {
    LLM_RUNNING("llm.running.requests", false, "Generations holding a sequence of the model"),
    LLM_WAITING("llm.waiting.requests", false, "Generations queued for a sequence"),
    LLM_KV_CACHE_USAGE(
        "llm.kv.cache.usage", false, "Share of the KV cache's cells in use (0 to 1)"),
    LLM_PROMPT_TOKENS(
        "llm.prompt.tokens",
        true,
        "Prompt tokens run through the model (prefix-cache hits excluded)"),
    LLM_GENERATION_TOKENS("llm.generation.tokens", true, "Tokens generated"),
    LLM_PREFIX_CACHE_HITS(
        "llm.prefix.cache.hit.tokens", true, "Prompt tokens whose KV cells were reused"),
    LLM_PREEMPTIONS(
        "llm.preemptions", true, "Generations whose cells were taken for others and recomputed"),
    LLM_FINISHED("llm.finished.requests", true, "Generations finished"),
    LLM_STEPS(
        "llm.steps", true, "Decoding steps (one llama_decode each, every stream's token in it)"),
    LLM_DECODE_SECONDS("llm.decode.seconds", true, "Time spent in llama_decode"),
    LLM_HOST_SECONDS(
        "llm.host.seconds",
        true,
        "Time the decoding thread spent per step outside llama_decode: building the batch,"
            + " sampling, turning tokens into text and handing it on"),
    LLM_SAVED_PREFIX_BYTES(
        "llm.saved.prefix.bytes",
        false,
        "Host memory holding idle cached prefixes copied out of the KV cache");

    private final String key;
    private final boolean counter;
    private final String description;

    Statistic(String key, boolean counter, String description) {
      this.key = key;
      this.counter = counter;
      this.description = description;
    }

    /** The name in {@link #statistics}, and (with a {@code sluice.} prefix) the meter's. */
    public String key() {
      return key;
    }

    public boolean counter() {
      return counter;
    }

    public String description() {
      return description;
    }
  }
}
