package io.sluice.storage;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * An expected digest of a download: {@code sha256=HEX} (the form pip and many model cards use in a
 * URL's fragment, {@code https://host/model.onnx#sha256=...}) or {@code sha1=HEX}.
 */
public record Checksum(String algorithm, String hex) {
  public Checksum {
    hex = hex.toLowerCase(Locale.ROOT);
  }

  public static Checksum sha256(String hex) {
    return new Checksum("SHA-256", hex);
  }

  public static Checksum sha1(String hex) {
    return new Checksum("SHA-1", hex);
  }

  /** {@code sha256=HEX} or {@code sha1=HEX}. */
  public static Checksum parse(String text) throws StorageException {
    int equals = text.indexOf('=');
    String name = equals < 0 ? "" : text.substring(0, equals).toLowerCase(Locale.ROOT);
    String hex = equals < 0 ? "" : text.substring(equals + 1);
    int length =
        switch (name) {
          case "sha256" -> 64;
          case "sha1" -> 40;
          default -> -1;
        };
    if (length < 0 || hex.length() != length || !hex.matches("[0-9a-fA-F]+")) {
      throw new StorageException(
          "'" + text + "' is not a checksum; give sha256=<64 hex digits> or sha1=<40 hex digits>");
    }
    return name.equals("sha256") ? sha256(hex) : sha1(hex);
  }

  MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  boolean matches(byte[] digest) {
    return MessageDigest.isEqual(HexFormat.of().parseHex(hex), digest);
  }

  @Override
  public String toString() {
    return algorithm.toLowerCase(Locale.ROOT).replace("-", "") + "=" + hex;
  }
}
