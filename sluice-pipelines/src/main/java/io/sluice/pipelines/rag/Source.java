package io.sluice.pipelines.rag;

/**
 * A chunk chosen for an answer, with the score that chose it: the reranker's when there is one,
 * else the cosine similarity of the embeddings.
 *
 * @param number its citation number, from 1, in the order the LLM sees the sources
 */
public record Source(int number, Chunk chunk, double score) {}
