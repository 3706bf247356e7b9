package io.sluice.pipelines.rag;

import io.sluice.api.GenerateRequest;
import io.sluice.api.InferRequest;
import io.sluice.api.InferResponse;
import io.sluice.api.InvalidInputException;
import io.sluice.api.Tensor;
import io.sluice.engine.client.EngineClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retrieval for chat: the configured documents are chunked and embedded once (when the first
 * question comes, in batches, through the engine) and kept in memory; each question is embedded,
 * the closest chunks (cosine similarity) are reranked, and the best become numbered sources in a
 * system message before the conversation. Documents a request brings are chunked and embedded for
 * that request only.
 */
public final class RagPipeline {
  private static final Logger log = LoggerFactory.getLogger(RagPipeline.class);
  private static final int EMBEDDING_BATCH = 32;

  private final EngineClient engine;
  private final RagSpec spec;
  private final Chunker chunker;
  private final AtomicReference<CompletableFuture<Index>> index = new AtomicReference<>();

  /** Chunks with their normalised embeddings, row for row. */
  private record Index(List<Chunk> chunks, float[][] vectors) {
    static final Index EMPTY = new Index(List.of(), new float[0][]);
  }

  public RagPipeline(EngineClient engine, RagSpec spec) {
    this.engine = engine;
    this.spec = spec;
    this.chunker = new Chunker(spec.chunkSize());
  }

  public RagSpec spec() {
    return spec;
  }

  /**
   * Starts building the collection's index now, so that the first question does not wait for it;
   * when the embeddings deployment is not ready yet, the first question builds it instead.
   */
  public void warm() {
    collection()
        .whenComplete(
            (built, error) -> {
              if (error != null) {
                log.info(
                    "pipeline {}: the document index will be built on the first question ({})",
                    spec.name(),
                    error.getMessage());
              }
            });
  }

  /**
   * The sources for a question: from the collection and from {@code extra} documents (title →
   * text). Empty when there are no documents at all.
   */
  public CompletableFuture<List<Source>> retrieve(String question, Map<String, String> extra) {
    if (question == null || question.isBlank()) {
      return CompletableFuture.failedFuture(
          new InvalidInputException("the last user message must hold the question"));
    }
    List<Chunk> extraChunks = new ArrayList<>();
    extra.forEach((title, text) -> extraChunks.addAll(chunker.chunks(title, text)));
    CompletableFuture<Index> requestIndex =
        extraChunks.isEmpty()
            ? CompletableFuture.completedFuture(Index.EMPTY)
            : embed(extraChunks).thenApply(vectors -> new Index(extraChunks, vectors));
    CompletableFuture<float[][]> query = embedTexts(List.of(question));
    return collection()
        .thenCombine(requestIndex, RagPipeline::merge)
        .thenCombine(query, (all, vectors) -> nearest(all, vectors[0]))
        .thenCompose(candidates -> rerank(question, candidates));
  }

  /** The request the LLM answers: a system message with the sources, then the conversation. */
  public GenerateRequest withSources(GenerateRequest request, List<Source> sources) {
    StringBuilder system = new StringBuilder(spec.systemPrompt()).append("\n\nSources:\n");
    for (Source source : sources) {
      system
          .append('[')
          .append(source.number())
          .append("] (")
          .append(source.chunk().document())
          .append(") ")
          .append(source.chunk().text())
          .append("\n\n");
    }
    if (sources.isEmpty()) {
      system.append("(none)\n");
    }
    List<GenerateRequest.ChatMessage> messages = new ArrayList<>();
    messages.add(new GenerateRequest.ChatMessage("system", system.toString().strip()));
    messages.addAll(request.messages());
    return new GenerateRequest(
        spec.llm(),
        request.revision(),
        null,
        messages,
        request.maxTokens(),
        request.temperature(),
        request.topP(),
        request.stop(),
        request.seed(),
        request.options());
  }

  /** The collection's index, built on first use; a failed build is retried by the next question. */
  private CompletableFuture<Index> collection() {
    CompletableFuture<Index> existing = index.get();
    if (existing != null) {
      return existing;
    }
    CompletableFuture<Index> building = new CompletableFuture<>();
    if (!index.compareAndSet(null, building)) {
      return index.get();
    }
    List<Chunk> chunks = new ArrayList<>();
    try {
      for (Path document : spec.documents()) {
        chunks.addAll(
            chunker.chunks(
                document.getFileName().toString(),
                Files.readString(document, StandardCharsets.UTF_8)));
      }
    } catch (IOException | RuntimeException e) {
      index.set(null);
      building.completeExceptionally(
          new InvalidInputException("cannot read the document collection: " + e.getMessage()));
      return building;
    }
    long started = System.nanoTime();
    embed(chunks)
        .whenComplete(
            (vectors, error) -> {
              if (error != null) {
                index.set(null);
                building.completeExceptionally(error);
              } else {
                log.info(
                    "pipeline {}: {} chunks of {} documents embedded in {} ms",
                    spec.name(),
                    chunks.size(),
                    spec.documents().size(),
                    (System.nanoTime() - started) / 1_000_000);
                building.complete(new Index(List.copyOf(chunks), vectors));
              }
            });
    return building;
  }

  private CompletableFuture<float[][]> embed(List<Chunk> chunks) {
    List<CompletableFuture<float[][]>> batches = new ArrayList<>();
    for (int from = 0; from < chunks.size(); from += EMBEDDING_BATCH) {
      batches.add(
          embedTexts(
              chunks.subList(from, Math.min(chunks.size(), from + EMBEDDING_BATCH)).stream()
                  .map(chunk -> chunk.document() + ": " + chunk.text())
                  .toList()));
    }
    return CompletableFuture.allOf(batches.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              float[][] vectors = new float[chunks.size()][];
              int row = 0;
              for (CompletableFuture<float[][]> batch : batches) {
                for (float[] vector : batch.join()) {
                  vectors[row++] = vector;
                }
              }
              return vectors;
            });
  }

  private CompletableFuture<float[][]> embedTexts(List<String> texts) {
    Tensor input =
        Tensor.ofBytes(
            "text",
            new long[] {texts.size()},
            texts.stream().map(text -> text.getBytes(StandardCharsets.UTF_8)).toList());
    return engine
        .infer(
            new InferRequest(
                spec.embeddings(), null, null, Map.of(), List.of(input), List.of("embedding")))
        .thenApply(RagPipeline::normalisedRows);
  }

  private static float[][] normalisedRows(InferResponse response) {
    Tensor embedding = response.outputs().getFirst();
    int rows = (int) embedding.shape()[0];
    int width = (int) embedding.shape()[1];
    ByteBuffer data = embedding.data();
    float[][] vectors = new float[rows][width];
    for (float[] vector : vectors) {
      double norm = 0;
      for (int i = 0; i < width; i++) {
        vector[i] = data.getFloat();
        norm += vector[i] * vector[i];
      }
      float scale = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < width; i++) {
        vector[i] *= scale;
      }
    }
    return vectors;
  }

  private static Index merge(Index collection, Index request) {
    if (request.chunks().isEmpty()) {
      return collection;
    }
    List<Chunk> chunks = new ArrayList<>(collection.chunks());
    chunks.addAll(request.chunks());
    float[][] vectors = new float[chunks.size()][];
    System.arraycopy(collection.vectors(), 0, vectors, 0, collection.vectors().length);
    System.arraycopy(
        request.vectors(), 0, vectors, collection.vectors().length, request.vectors().length);
    return new Index(chunks, vectors);
  }

  private record Scored(Chunk chunk, double score) {}

  private List<Scored> nearest(Index all, float[] query) {
    List<Scored> scored = new ArrayList<>(all.chunks().size());
    for (int i = 0; i < all.chunks().size(); i++) {
      double dot = 0;
      float[] vector = all.vectors()[i];
      for (int d = 0; d < query.length; d++) {
        dot += vector[d] * query[d];
      }
      scored.add(new Scored(all.chunks().get(i), dot));
    }
    scored.sort(Comparator.comparingDouble(Scored::score).reversed());
    return scored.subList(0, Math.min(spec.retrieve(), scored.size()));
  }

  private CompletableFuture<List<Source>> rerank(String question, List<Scored> candidates) {
    if (spec.reranker() == null || candidates.isEmpty()) {
      return CompletableFuture.completedFuture(numbered(candidates));
    }
    List<byte[]> queries = new ArrayList<>();
    List<byte[]> documents = new ArrayList<>();
    for (Scored candidate : candidates) {
      queries.add(question.getBytes(StandardCharsets.UTF_8));
      documents.add(candidate.chunk().text().getBytes(StandardCharsets.UTF_8));
    }
    long[] shape = {candidates.size()};
    return engine
        .infer(
            new InferRequest(
                spec.reranker(),
                null,
                null,
                Map.of(),
                List.of(
                    Tensor.ofBytes("query", shape, queries),
                    Tensor.ofBytes("document", shape, documents)),
                List.of("score")))
        .thenApply(
            response -> {
              ByteBuffer scores = response.outputs().getFirst().data();
              List<Scored> reranked = new ArrayList<>();
              for (Scored candidate : candidates) {
                reranked.add(new Scored(candidate.chunk(), scores.getFloat()));
              }
              reranked.sort(Comparator.comparingDouble(Scored::score).reversed());
              return numbered(reranked);
            });
  }

  private List<Source> numbered(List<Scored> ordered) {
    List<Source> sources = new ArrayList<>();
    for (Scored scored : ordered.subList(0, Math.min(spec.keep(), ordered.size()))) {
      sources.add(new Source(sources.size() + 1, scored.chunk(), scored.score()));
    }
    return sources;
  }
}
