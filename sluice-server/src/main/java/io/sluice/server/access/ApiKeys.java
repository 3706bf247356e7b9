package io.sluice.server.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys one scope accepts: keys given directly, plus the lines of a key file that is re-read
 * when it changes (checked at most once a second), so a mounted Kubernetes Secret can rotate them.
 *
 * <p>Only SHA-256 digests of keys are kept. A presented key is digested and compared with every
 * known digest in constant time, without stopping at a match, so timing tells nothing about which
 * key or how much of one matched; keys are never logged.
 */
public final class ApiKeys {
  private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
  private static final long RECHECK_NANOS = 1_000_000_000L;

  private final List<byte[]> fixed;
  private final Path file;
  private final LongSupplier clock;
  private volatile List<byte[]> fromFile = List.of();
  private volatile FileTime fileStamp;
  private volatile long checkedAt;

  public ApiKeys(List<String> keys, Path file, LongSupplier clock) {
    this.fixed = keys.stream().map(ApiKeys::digest).toList();
    this.file = file;
    this.clock = clock;
    if (file != null) {
      reload();
      checkedAt = clock.getAsLong();
    }
  }

  public static ApiKeys none() {
    return new ApiKeys(List.of(), null, System::nanoTime);
  }

  /** Whether any key exists, so that requests must present one. */
  public boolean required() {
    return !fixed.isEmpty() || file != null;
  }

  /** A key as a client presented it, digested once for every check and bucket of its request. */
  public record Presented(byte[] digest) {
    /** A stable name for the key that reveals nothing about it: for rate-limit buckets and logs. */
    public String fingerprint() {
      return HexFormat.of().formatHex(digest, 0, 6);
    }
  }

  /** The presented key, or null when none was presented. */
  public static Presented present(String key) {
    return key == null ? null : new Presented(digest(key));
  }

  public boolean accepts(String presented) {
    return recognises(present(presented));
  }

  /** Whether the presented key (null: none) is one of these keys. */
  public boolean recognises(Presented presented) {
    if (presented == null) {
      return false;
    }
    refresh();
    boolean match = false;
    for (byte[] key : fixed) {
      match |= MessageDigest.isEqual(key, presented.digest());
    }
    for (byte[] key : fromFile) {
      match |= MessageDigest.isEqual(key, presented.digest());
    }
    return match;
  }

  /** {@link Presented#fingerprint()} of a key. */
  public static String fingerprint(String key) {
    return present(key).fingerprint();
  }

  private void refresh() {
    long now = clock.getAsLong();
    if (file == null || now - checkedAt < RECHECK_NANOS) {
      return;
    }
    checkedAt = now;
    try {
      if (!Files.getLastModifiedTime(file).equals(fileStamp)) {
        reload();
      }
    } catch (IOException e) {
      log.warn(
          "API key file {} is unreadable ({}); keeping the keys read before", file, e.toString());
    }
  }

  private synchronized void reload() {
    try {
      FileTime stamp = Files.getLastModifiedTime(file);
      List<byte[]> keys = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String key = line.strip();
        if (!key.isEmpty() && !key.startsWith("#")) {
          keys.add(digest(key));
        }
      }
      fromFile = List.copyOf(keys);
      fileStamp = stamp;
      log.info("read {} API keys from {}", keys.size(), file);
    } catch (IOException e) {
      log.warn(
          "API key file {} is unreadable ({}); keeping the keys read before", file, e.toString());
    }
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
