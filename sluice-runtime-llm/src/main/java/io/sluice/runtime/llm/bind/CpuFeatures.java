package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the CPU lets this process use, where CPUID alone would mislead: a sandbox may report AMX yet
 * withhold the tile state, and ggml's {@code sapphirerapids} backend then dies with SIGILL on its
 * first AMX instruction.
 */
final class CpuFeatures {
  private static final long SYS_ARCH_PRCTL = 158;
  private static final long ARCH_REQ_XCOMP_PERM = 0x1023;
  private static final long XFEATURE_XTILEDATA = 18;

  private CpuFeatures() {}

  /** Whether the CPU reports AMX tiles (in {@code /proc/cpuinfo}). */
  static boolean reportsAmx() {
    try {
      return Files.readString(Path.of("/proc/cpuinfo")).contains(" amx_tile");
    } catch (IOException e) {
      return false;
    }
  }

  /** Asks the kernel for AMX tile state, as ggml does before using it; true when granted. */
  static boolean amxPermitted() {
    try {
      Linker linker = Linker.nativeLinker();
      MethodHandle syscall =
          linker.downcallHandle(
              linker.defaultLookup().find("syscall").orElseThrow(),
              FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
              Linker.Option.firstVariadicArg(1));
      return (long) syscall.invokeExact(SYS_ARCH_PRCTL, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)
          == 0;
    } catch (Throwable e) {
      return false;
    }
  }
}
