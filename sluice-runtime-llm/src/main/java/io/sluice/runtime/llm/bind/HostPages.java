package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Large blocks of host memory (tens to hundreds of MB) mapped straight from the kernel and asked
 * for in 2 MiB pages ({@code madvise(MADV_HUGEPAGE)}; where the kernel declines, 4 KiB pages as
 * usual). Filling 18 MB of fresh 4 KiB pages cost ~65 ms of page faults on a virtual machine here,
 * against ~1.4 ms to copy into memory already touched; a Java arena would also zero it first.
 */
final class HostPages {
  private static final long HUGE_PAGE = 2L << 20;
  private static final int PROT_READ_WRITE = 0x1 | 0x2;
  private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
  private static final int MADV_HUGEPAGE = 14;
  private static final MethodHandle MMAP;
  private static final MethodHandle MADVISE;
  private static final MethodHandle MUNMAP;

  static {
    Linker linker = Linker.nativeLinker();
    MMAP =
        linker.downcallHandle(
            linker.defaultLookup().find("mmap").orElseThrow(),
            FunctionDescriptor.of(
                ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    MADVISE =
        linker.downcallHandle(
            linker.defaultLookup().find("madvise").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    MUNMAP =
        linker.downcallHandle(
            linker.defaultLookup().find("munmap").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
  }

  private final MemorySegment mapping;
  private final MemorySegment block;

  private HostPages(MemorySegment mapping, MemorySegment block) {
    this.mapping = mapping;
    this.block = block;
  }

  /** A block of {@code bytes}, zero until written; throws when the kernel has no memory for it. */
  static HostPages allocate(long bytes) {
    long length = bytes + HUGE_PAGE; // room to start the block on a 2 MiB boundary
    try {
      MemorySegment mapping =
          (MemorySegment)
              MMAP.invokeExact(
                  MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
      if (mapping.address() == -1L) {
        throw new OutOfMemoryError("cannot map " + bytes + " bytes of host memory");
      }
      mapping = mapping.reinterpret(length);
      long start = (mapping.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
      MemorySegment block = mapping.asSlice(start - mapping.address(), bytes);
      int ignored = (int) MADVISE.invokeExact(block, bytes, MADV_HUGEPAGE); // a hint: may decline
      return new HostPages(mapping, block);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  MemorySegment block() {
    return block;
  }

  long size() {
    return block.byteSize();
  }

  /** Gives the memory back to the kernel; the block must not be used after. */
  void free() {
    try {
      int ignored = (int) MUNMAP.invokeExact(mapping, mapping.byteSize());
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }
}
