package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * A ggml CPU thread pool that lives as long as its context. Without one, llama.cpp's CPU backend
 * makes a pool for every graph it computes: each decoded token started and joined its compute
 * threads again (llama-server attaches a pool like this one to its contexts). The pool's functions
 * live in whichever CPU variant library the backend loaded, so they are found through the backend
 * registry, as llama.cpp's own tools find them.
 */
final class CpuThreadPool implements AutoCloseable {
  /** {@code struct ggml_threadpool_params}: 512 bools, then four words; room to spare. */
  private static final long PARAMS_SIZE = 1024;

  private static final int CPU_DEVICE = 0; // GGML_BACKEND_DEVICE_TYPE_CPU

  private final MemorySegment pool;
  private final MethodHandle free;

  private CpuThreadPool(MemorySegment pool, MethodHandle free) {
    this.pool = pool;
    this.free = free;
  }

  /** A pool of {@code threads} attached to {@code context}, or null where the backend has none. */
  static CpuThreadPool attach(MemorySegment context, int threads) throws Throwable {
    MemorySegment device = (MemorySegment) Native.ggml_backend_dev_by_type.invokeExact(CPU_DEVICE);
    if (device.equals(MemorySegment.NULL)) {
      return null;
    }
    MemorySegment registry =
        (MemorySegment) Native.ggml_backend_dev_backend_reg.invokeExact(device);
    MemorySegment create = function(registry, "ggml_threadpool_new");
    MemorySegment release = function(registry, "ggml_threadpool_free");
    if (create.equals(MemorySegment.NULL) || release.equals(MemorySegment.NULL)) {
      return null;
    }
    MemorySegment pool;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment params = arena.allocate(PARAMS_SIZE, 8);
      Native.ggml_threadpool_params_init.invokeExact(params, threads);
      MethodHandle newPool =
          Native.LINKER.downcallHandle(create, FunctionDescriptor.of(ADDRESS, ADDRESS));
      pool = (MemorySegment) newPool.invokeExact(params);
    }
    if (pool.equals(MemorySegment.NULL)) {
      return null;
    }
    Native.llama_attach_threadpool.invokeExact(context, pool, MemorySegment.NULL);
    return new CpuThreadPool(
        pool, Native.LINKER.downcallHandle(release, FunctionDescriptor.ofVoid(ADDRESS)));
  }

  private static MemorySegment function(MemorySegment registry, String name) throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      return (MemorySegment)
          Native.ggml_backend_reg_get_proc_address.invokeExact(registry, arena.allocateFrom(name));
    }
  }

  /** Frees the pool; its context must be freed first. */
  @Override
  public void close() {
    try {
      free.invokeExact(pool);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }
}
