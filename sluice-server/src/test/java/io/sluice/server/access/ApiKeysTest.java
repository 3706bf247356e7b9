package io.sluice.server.access;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeysTest {
  @TempDir Path dir;

  @Test
  void acceptsConfiguredKeysOnly() {
    ApiKeys keys =
        new ApiKeys(
            List.of("first-key-0123456789", "second-key-0123456789"), null, System::nanoTime);
    assertThat(keys.required()).isTrue();
    assertThat(keys.accepts("second-key-0123456789")).isTrue();
    assertThat(keys.accepts("second-key-012345678")).isFalse();
    assertThat(keys.accepts("")).isFalse();
    assertThat(keys.accepts(null)).isFalse();
    assertThat(ApiKeys.none().required()).isFalse();
    assertThat(ApiKeys.none().accepts("anything")).isFalse();
  }

  @Test
  void aKeyFileIsReadAgainAtMostOnceASecondAfterItChanges() throws Exception {
    Path file = Files.writeString(dir.resolve("keys"), "# comment\n  old-key-0123456789  \n\n");
    AtomicLong clock = new AtomicLong();
    ApiKeys keys = new ApiKeys(List.of(), file, clock::get);
    assertThat(keys.accepts("old-key-0123456789")).isTrue();
    Files.writeString(file, "new-key-0123456789\n");
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 10_000));
    assertThat(keys.accepts("new-key-0123456789")).as("not re-read within the second").isFalse();
    clock.addAndGet(1_000_000_001L);
    assertThat(keys.accepts("new-key-0123456789")).isTrue();
    assertThat(keys.accepts("old-key-0123456789")).isFalse();
  }

  @Test
  void fingerprintsAreStableAndRevealNothing() {
    assertThat(ApiKeys.fingerprint("a-key-0123456789abc"))
        .isEqualTo(ApiKeys.fingerprint("a-key-0123456789abc"))
        .hasSize(12)
        .doesNotContain("key");
    assertThat(ApiKeys.fingerprint("a-key-0123456789abc"))
        .isNotEqualTo(ApiKeys.fingerprint("a-key-0123456789abd"));
  }
}
