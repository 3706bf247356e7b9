package io.sluice.pipelines.rag;

import io.sluice.pipelines.PipelineSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Retrieval-augmented chat: questions are answered by the LLM from the chunks of a document
 * collection that the embeddings deployment finds and the reranker orders.
 *
 * @param embeddings the deployment with the embeddings contract (input {@code text}, output {@code
 *     embedding})
 * @param reranker the deployment with the reranker contract (inputs {@code query}, {@code
 *     document}; output {@code score}), or null to order by embedding similarity alone
 * @param llm the generative deployment that answers
 * @param documents the collection's files (text or Markdown), read once, when the first question
 *     comes
 * @param chunkSize the longest chunk, in characters
 * @param retrieve how many chunks the embedding search keeps
 * @param keep how many of those, best reranked first, go to the LLM
 * @param systemPrompt the instruction given before the sources
 * @param maxTokens the default longest answer, in tokens
 */
public record RagSpec(
    String name,
    String routePrefix,
    String embeddings,
    String reranker,
    String llm,
    List<Path> documents,
    int chunkSize,
    int retrieve,
    int keep,
    String systemPrompt,
    int maxTokens)
    implements PipelineSpec {
  public static final String DEFAULT_PROMPT =
      "Answer the question using the numbered sources below. Cite the sources"
          + " you use as [1], [2] and so on. If the sources do not hold the answer, say so.";

  public RagSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(routePrefix, "routePrefix");
    Objects.requireNonNull(embeddings, "embeddings");
    Objects.requireNonNull(llm, "llm");
    documents = List.copyOf(documents);
    systemPrompt = systemPrompt == null ? DEFAULT_PROMPT : systemPrompt;
  }
}
