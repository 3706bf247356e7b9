package io.sluice.pipelines.rag;

/**
 * A piece of a document, the unit that is embedded, retrieved and cited.
 *
 * @param document the document's name (its file name, or the title a request gave it)
 * @param index the chunk's position in the document, from 0
 */
public record Chunk(String document, int index, String text) {}
