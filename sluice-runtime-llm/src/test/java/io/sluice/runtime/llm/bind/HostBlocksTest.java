package io.sluice.runtime.llm.bind;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostBlocksTest {
  private static final long MIB = 1L << 20;

  @Test
  void aBlockGivenBackIsTheNextCopysWhenItFits() {
    try (HostBlocks blocks = new HostBlocks()) {
      HostPages first = blocks.take(5 * MIB);
      assertThat(first.size()).as("whole 2 MiB pages").isEqualTo(6 * MIB);
      first.block().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 7);
      blocks.give(first);

      HostPages second = blocks.take(4 * MIB);
      assertThat(second.block().address()).isEqualTo(first.block().address());
      assertThat(blocks.mappedBytes()).isEqualTo(6 * MIB);
      blocks.give(second);
    }
  }

  @Test
  void aSmallCopyDoesNotHoldALargeBlock() {
    try (HostBlocks blocks = new HostBlocks()) {
      HostPages large = blocks.take(40 * MIB);
      blocks.give(large);

      HostPages small = blocks.take(3 * MIB);
      assertThat(small.size()).isEqualTo(4 * MIB);
      assertThat(small.block().address()).isNotEqualTo(large.block().address());
      assertThat(blocks.mappedBytes()).isEqualTo(44 * MIB);
      blocks.give(small);
    }
  }

  @Test
  void blocksBeyondTwiceTheLargestAreUnmappedSmallestFirst() {
    try (HostBlocks blocks = new HostBlocks()) {
      HostPages a = blocks.take(10 * MIB);
      HostPages b = blocks.take(8 * MIB);
      HostPages c = blocks.take(6 * MIB);
      HostPages d = blocks.take(2 * MIB);
      assertThat(blocks.mappedBytes()).isEqualTo(26 * MIB);
      blocks.give(a);
      blocks.give(b);
      assertThat(blocks.mappedBytes()).as("18 MiB kept, within 20").isEqualTo(26 * MIB);
      blocks.give(c);
      assertThat(blocks.mappedBytes())
          .as("24 MiB would be kept: the 6 MiB one goes (18 left), d still in use")
          .isEqualTo(20 * MIB);
      blocks.give(d);
      assertThat(blocks.mappedBytes()).as("20 MiB kept").isEqualTo(20 * MIB);
    }
  }

  @Test
  void closingUnmapsTheKeptBlocksAndThoseGivenBackAfter() {
    HostBlocks blocks = new HostBlocks();
    HostPages kept = blocks.take(2 * MIB);
    HostPages inUse = blocks.take(2 * MIB);
    blocks.give(kept);
    blocks.close();
    assertThat(blocks.mappedBytes()).isEqualTo(2 * MIB);
    blocks.give(inUse);
    assertThat(blocks.mappedBytes()).isZero();
  }
}
