package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * llama.cpp's shared libraries, loaded once per process from one folder of an npm
 * {@code @node-llama-cpp} package (each package ships its own {@code libggml-base.so}: never mix
 * two). The CPU backend is the best variant this CPU runs ({@code cpuVariant} "auto"), or the one
 * named.
 */
public final class LlamaLibrary {
  private static final Logger log = LoggerFactory.getLogger(LlamaLibrary.class);

  /** CPU variants from most to least capable, for when the automatic choice cannot be trusted. */
  private static final List<String> CPU_VARIANTS =
      List.of(
          "sapphirerapids",
          "zen4",
          "cooperlake",
          "icelake",
          "cascadelake",
          "skylakex",
          "cannonlake",
          "alderlake",
          "haswell",
          "sandybridge",
          "ivybridge",
          "piledriver",
          "sse42",
          "x64");

  private static LlamaLibrary loaded;

  /**
   * The folder {@link Native} loads from (setting a field of Native itself would initialise it too
   * early).
   */
  static volatile Path loading;

  private final Path directory;
  private final List<String> devices;
  private final String cpuBackend;

  private LlamaLibrary(Path directory, List<String> devices, String cpuBackend) {
    this.directory = directory;
    this.devices = devices;
    this.cpuBackend = cpuBackend;
  }

  /**
   * Loads the libraries from {@code directory} unless already loaded; a second, different folder is
   * refused.
   */
  public static synchronized LlamaLibrary open(Path directory, String cpuVariant) {
    Path dir = directory.toAbsolutePath().normalize();
    if (loaded != null) {
      if (!loaded.directory.equals(dir)) {
        throw new IllegalStateException(
            "llama.cpp is already loaded from "
                + loaded.directory
                + "; one process loads one build");
      }
      return loaded;
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "no llama.cpp libraries in " + dir + " (bin/install-llama installs them)");
    }
    loading = dir;
    try {
      Native.llama_log_set.invokeExact(LOG_CALLBACK, MemorySegment.NULL);
      loadBackends(dir, cpuVariant);
      Native.llama_backend_init.invokeExact();
      List<String> devices = new ArrayList<>();
      long count = (long) Native.ggml_backend_dev_count.invokeExact();
      for (long i = 0; i < count; i++) {
        MemorySegment device = (MemorySegment) Native.ggml_backend_dev_get.invokeExact(i);
        devices.add(
            string((MemorySegment) Native.ggml_backend_dev_name.invokeExact(device))
                + " ("
                + string((MemorySegment) Native.ggml_backend_dev_description.invokeExact(device))
                + ")");
      }
      String cpu = mappedCpuBackend();
      log.info("llama.cpp from {}: CPU backend {}, devices {}", dir, cpu, devices);
      loaded = new LlamaLibrary(dir, List.copyOf(devices), cpu);
      return loaded;
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("cannot start llama.cpp from " + dir + ": " + e, e);
    }
  }

  private static void loadBackends(Path dir, String cpuVariant) throws Throwable {
    boolean amxTrap = CpuFeatures.reportsAmx() && !CpuFeatures.amxPermitted();
    try (Arena arena = Arena.ofConfined()) {
      if (cpuVariant.equals("auto") && !amxTrap) {
        Native.ggml_backend_load_all_from_path.invokeExact(arena.allocateFrom(dir.toString()));
        return;
      }
      if (amxTrap) {
        log.warn(
            "this CPU reports AMX but the kernel withholds its tile state: not using ggml's sapphirerapids backend");
      }
      List<String> candidates =
          cpuVariant.equals("auto")
              ? CPU_VARIANTS.subList(1, CPU_VARIANTS.size())
              : List.of(cpuVariant);
      for (String variant : candidates) {
        Path library = dir.resolve("libggml-cpu-" + variant + ".so");
        if (Files.isRegularFile(library)) {
          MemorySegment registered =
              (MemorySegment)
                  Native.ggml_backend_load.invokeExact(arena.allocateFrom(library.toString()));
          if (!registered.equals(MemorySegment.NULL)) {
            loadGpuBackends(dir, arena);
            return;
          }
        }
      }
      throw new IllegalStateException("no CPU backend among " + candidates + " runs on this CPU");
    }
  }

  private static void loadGpuBackends(Path dir, Arena arena) throws Throwable {
    try (var files = Files.list(dir)) {
      for (Path library :
          files
              .filter(f -> f.getFileName().toString().matches("libggml-(cuda|vulkan)\\.so"))
              .toList()) {
        MemorySegment registered =
            (MemorySegment)
                Native.ggml_backend_load.invokeExact(arena.allocateFrom(library.toString()));
        if (registered.equals(MemorySegment.NULL)) {
          log.warn("{} did not load (no device or driver)", library.getFileName());
        }
      }
    }
  }

  private static String mappedCpuBackend() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
        int at = line.indexOf("libggml-cpu-");
        if (at >= 0) {
          return line.substring(at + "libggml-cpu-".length()).replace(".so", "");
        }
      }
    } catch (IOException ignored) {
      // not Linux: unknown
    }
    return "unknown";
  }

  public Path directory() {
    return directory;
  }

  /** The devices ggml found ("CPU (...)", "CUDA0 (...)"). */
  public List<String> devices() {
    return devices;
  }

  /** The CPU variant in use ("zen4", "icelake", ...). */
  public String cpuBackend() {
    return cpuBackend;
  }

  static String string(MemorySegment pointer) {
    return pointer.equals(MemorySegment.NULL)
        ? null
        : pointer.reinterpret(Long.MAX_VALUE).getString(0);
  }

  private static final Logger nativeLog = LoggerFactory.getLogger("llama.cpp");
  private static final MemorySegment LOG_CALLBACK;

  static {
    try {
      LOG_CALLBACK =
          java.lang.foreign.Linker.nativeLinker()
              .upcallStub(
                  MethodHandles.lookup()
                      .findStatic(
                          LlamaLibrary.class,
                          "onLog",
                          MethodType.methodType(
                              void.class, int.class, MemorySegment.class, MemorySegment.class)),
                  FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS),
                  Arena.global());
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** ggml's log levels: 1 debug, 2 info, 3 warn, 4 error, 5 continuation of the previous line. */
  private static void onLog(int level, MemorySegment text, MemorySegment user) {
    try { // an exception escaping an upcall ends the JVM
      String message = text.reinterpret(Long.MAX_VALUE).getString(0).stripTrailing();
      if (message.isEmpty()) {
        return;
      }
      if (level == 4) {
        nativeLog.error(message);
      } else if (level == 3) {
        nativeLog.warn(message);
      } else {
        nativeLog.debug(message);
      }
    } catch (Throwable ignored) {
      // nothing can be done from inside the callback
    }
  }
}
