package io.sluice.runtime.llm.bind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.Map;

/**
 * The process environment as native code reads it ({@code setenv}): ggml's backends read their
 * settings (visible devices) from it when they load, and Java's own view of the environment is
 * read-only.
 */
public final class NativeEnvironment {
  private NativeEnvironment() {}

  /** Sets each variable that is not set yet. */
  public static void setIfAbsent(Map<String, String> variables) {
    if (variables.isEmpty()) {
      return;
    }
    Linker linker = Linker.nativeLinker();
    MethodHandle setenv =
        linker.downcallHandle(
            linker.defaultLookup().find("setenv").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    try (Arena arena = Arena.ofConfined()) {
      for (Map.Entry<String, String> variable : variables.entrySet()) {
        int status =
            (int)
                setenv.invokeExact(
                    arena.allocateFrom(variable.getKey()),
                    arena.allocateFrom(variable.getValue()),
                    0);
        if (status != 0) {
          throw new IllegalStateException("setenv " + variable.getKey() + " failed");
        }
      }
    } catch (RuntimeException e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }
}
