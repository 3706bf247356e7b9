package io.sluice.runtime.llm.bind;

import java.util.ArrayList;
import java.util.List;

/**
 * Blocks of {@link HostPages} for cells copied out of the KV cache, kept for the next copy when
 * freed instead of going back to the kernel. A fresh block costs a page fault per page on first
 * touch, and on a virtual machine the host may back each page only then: a 21 MB copy into a fresh
 * block took 48-66 ms here, memory already touched fills at ~20 GB/s (~1 ms). Freed blocks are kept
 * up to twice the largest block made, so a copy made as older ones are dropped (a full budget)
 * finds one; a block is taken for a copy of at least half its size, so a small copy does not hold a
 * large block.
 */
final class HostBlocks implements AutoCloseable {
  private static final long HUGE_PAGE = 2L << 20;

  private final List<HostPages> free = new ArrayList<>();
  private long freeBytes;
  private long largest;
  private volatile long mappedBytes;

  /** A block of at least {@code bytes}: a kept one that fits, else a new one. */
  HostPages take(long bytes) {
    HostPages fit = null;
    for (HostPages block : free) {
      long size = block.size();
      if (size >= bytes && size <= 2 * bytes && (fit == null || size < fit.size())) {
        fit = block;
      }
    }
    if (fit != null) {
      free.remove(fit);
      freeBytes -= fit.size();
      return fit;
    }
    HostPages block = HostPages.allocate((bytes + HUGE_PAGE - 1) & -HUGE_PAGE);
    largest = Math.max(largest, block.size());
    mappedBytes += block.size();
    return block;
  }

  /** Takes a block back, keeping it for a later copy or, beyond what is kept, unmapping it. */
  void give(HostPages block) {
    free.add(block);
    freeBytes += block.size();
    while (freeBytes > 2 * largest) {
      HostPages smallest = free.getFirst();
      for (HostPages candidate : free) {
        if (candidate.size() < smallest.size()) {
          smallest = candidate;
        }
      }
      unmap(smallest);
    }
  }

  /** The bytes mapped, in copies and kept; read from any thread. */
  long mappedBytes() {
    return mappedBytes;
  }

  /** Unmaps the kept blocks; those in copies are unmapped as they come back. */
  @Override
  public void close() {
    largest = 0;
    for (HostPages block : List.copyOf(free)) {
      unmap(block);
    }
  }

  private void unmap(HostPages block) {
    free.remove(block);
    freeBytes -= block.size();
    mappedBytes -= block.size();
    block.free();
  }
}
