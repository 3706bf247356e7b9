package io.sluice.runtime.llm;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.GenerateRequest;
import io.sluice.runtime.llm.gguf.RandomModelWriter;
import io.sluice.spi.GenerativeModel;
import io.sluice.spi.ModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA adapters picked per request on one model and context: each adapter changes what the model
 * writes, and a request's answer is the same alone as among requests for other adapters (a batch
 * never mixes adapters, and no adapter reuses cells another computed).
 */
class LoraAdaptersTest {
  @TempDir static Path dir;
  private static GenerativeModel model;

  @BeforeAll
  static void load() throws Exception {
    Path base = dir.resolve("tiny.gguf");
    RandomModelWriter.writeTinyLlama(base, 128, 2);
    RandomModelWriter.writeTinyLlamaLora(dir.resolve("warm.gguf"), 128, 2, 8, 1);
    RandomModelWriter.writeTinyLlamaLora(dir.resolve("cold.gguf"), 128, 2, 8, 2);
    model =
        (GenerativeModel)
            new LlamaRuntime()
                .load(
                    new ModelSource(
                        "tiny",
                        "1",
                        base,
                        Map.of(
                            "parallel", "6",
                            "ctxSize", "4096",
                            "threads", "2",
                            "adapter.warm", dir.resolve("warm.gguf").toString(),
                            "adapter.cold", dir.resolve("cold.gguf").toString())));
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static String answer(String name) {
    StringBuilder text = new StringBuilder();
    model.generate(
        new GenerateRequest(
            name,
            null,
            null,
            List.of(new GenerateRequest.ChatMessage("user", "Tell me about the river")),
            48,
            0f,
            null,
            List.of(),
            3L),
        piece -> text.append(piece.text()),
        () -> false);
    return text.toString();
  }

  @Test
  void eachAdapterWritesItsOwnAnswerAloneAndAmongTheOthers() throws Exception {
    List<String> names = List.of("tiny", "warm", "cold");
    List<String> alone = new ArrayList<>();
    for (String name : names) {
      alone.add(answer(name));
    }
    assertThat(alone).doesNotHaveDuplicates().allMatch(text -> !text.isBlank());
    for (int i = 0; i < names.size(); i++) {
      assertThat(answer(names.get(i))).as("%s again", names.get(i)).isEqualTo(alone.get(i));
    }
    // six at once, on six threads: the scheduler holds them all and takes turns between adapters
    ExecutorService threads = Executors.newFixedThreadPool(6);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> together = new ArrayList<>();
      for (int copy = 0; copy < 2; copy++) {
        for (String name : names) {
          together.add(
              threads.submit(
                  () -> {
                    start.await();
                    return answer(name);
                  }));
        }
      }
      start.countDown();
      for (int i = 0; i < together.size(); i++) {
        assertThat(together.get(i).get())
            .as("%s among the others", names.get(i % names.size()))
            .isEqualTo(alone.get(i % names.size()));
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
