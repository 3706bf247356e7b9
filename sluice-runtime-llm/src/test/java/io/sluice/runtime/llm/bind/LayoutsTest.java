package io.sluice.runtime.llm.bind;

import static io.sluice.testkit.Requirements.require;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-written struct layouts against the real thing: every field's offset and every struct's
 * size as a C compiler sees them in the installed {@code llama.h}, and the defaults llama.cpp
 * itself fills in, read back through the layouts.
 */
class LayoutsTest {
  @BeforeAll
  static void load() {
    LlamaLibrary.open(LlamaInstall.libraries("cpu"), "auto");
  }

  @Test
  void everyFieldSitsWhereTheHeaderPutsIt(@TempDir Path dir) throws Exception {
    Path header = LlamaInstall.home().resolve("include/llama.h");
    assertThat(header).as("bin/install-llama installs the header").exists();
    require(new ProcessBuilder("cc", "--version").start().waitFor() == 0, "no C compiler");
    Map<String, Long> expected = new LinkedHashMap<>();
    StringBuilder program =
        new StringBuilder(
            "#include <stdio.h>\n#include <stddef.h>\n#include \"llama.h\"\nint main(void) {\n");
    for (StructLayout layout : Layouts.ALL) {
      String struct = layout.name().orElseThrow();
      program
          .append("  printf(\"%s %zu\\n\", \"")
          .append(struct)
          .append("\", sizeof(struct ")
          .append(struct)
          .append("));\n");
      expected.put(struct, layout.byteSize());
      for (MemoryLayout member : layout.memberLayouts()) {
        if (member.name().isEmpty()) {
          continue; // padding
        }
        String field = member.name().get();
        program
            .append("  printf(\"%s %zu\\n\", \"")
            .append(struct)
            .append('.')
            .append(field)
            .append("\", offsetof(struct ")
            .append(struct)
            .append(", ")
            .append(field)
            .append("));\n");
        expected.put(struct + "." + field, Layouts.offset(layout, field));
      }
    }
    program.append("  return 0;\n}\n");
    Files.writeString(dir.resolve("offsets.c"), program);
    Process compile =
        new ProcessBuilder(
                "cc",
                "-I",
                header.getParent().toString(),
                "-o",
                dir.resolve("offsets").toString(),
                dir.resolve("offsets.c").toString())
            .redirectErrorStream(true)
            .start();
    String compilerOutput =
        new String(compile.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(compile.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(compile.exitValue()).as(compilerOutput).isZero();
    Process run = new ProcessBuilder(dir.resolve("offsets").toString()).start();
    Map<String, Long> actual = new LinkedHashMap<>();
    for (String line :
        new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
      String[] parts = line.split(" ");
      actual.put(parts[0], Long.parseLong(parts[1]));
    }
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void llamaCppsOwnDefaultsReadBackThroughTheLayouts() throws Throwable {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment context =
          (MemorySegment) Native.llama_context_default_params.invokeExact((SegmentAllocator) arena);
      assertThat(context.byteSize()).isEqualTo(160);
      assertThat(context.get(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_ctx")))
          .isEqualTo(512);
      assertThat(context.get(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_batch")))
          .isEqualTo(2048);
      assertThat(context.get(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_ubatch")))
          .isEqualTo(512);
      assertThat(context.get(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "n_seq_max")))
          .isEqualTo(1);
      assertThat(context.get(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "flash_attn_type")))
          .isEqualTo(-1);
      assertThat(context.get(JAVA_INT, Layouts.offset(Layouts.CONTEXT_PARAMS, "type_k")))
          .isEqualTo(1); // F16
      assertThat(context.get(JAVA_BOOLEAN, Layouts.offset(Layouts.CONTEXT_PARAMS, "kv_unified")))
          .isFalse();
      assertThat(context.get(JAVA_BOOLEAN, Layouts.offset(Layouts.CONTEXT_PARAMS, "swa_full")))
          .isTrue();
      assertThat(context.get(JAVA_BOOLEAN, Layouts.offset(Layouts.CONTEXT_PARAMS, "op_offload")))
          .isTrue();
      assertThat(context.get(JAVA_BOOLEAN, Layouts.offset(Layouts.CONTEXT_PARAMS, "no_perf")))
          .isTrue();

      MemorySegment model =
          (MemorySegment) Native.llama_model_default_params.invokeExact((SegmentAllocator) arena);
      assertThat(model.byteSize()).isEqualTo(80);
      assertThat(model.get(JAVA_INT, Layouts.offset(Layouts.MODEL_PARAMS, "n_gpu_layers")))
          .isEqualTo(-1);
      assertThat(model.get(JAVA_INT, Layouts.offset(Layouts.MODEL_PARAMS, "split_mode")))
          .isEqualTo(1);
      assertThat(model.get(JAVA_BOOLEAN, Layouts.offset(Layouts.MODEL_PARAMS, "use_extra_bufts")))
          .isTrue();
      assertThat(model.get(JAVA_BOOLEAN, Layouts.offset(Layouts.MODEL_PARAMS, "vocab_only")))
          .isFalse();
    }
  }
}
