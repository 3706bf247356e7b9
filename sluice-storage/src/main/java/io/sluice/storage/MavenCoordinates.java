package io.sluice.storage;

/**
 * {@code group:artifact:version[:classifier][:type]}, as in {@code mvn://} storage URIs. With four
 * parts the fourth is the type when it is a packaging ({@code jar}, {@code aar}, {@code zip},
 * {@code war}, {@code pom}, {@code tar.gz}; e.g. {@code com.alphacephei:vosk-model-en:0.3.45:aar}),
 * else the classifier.
 *
 * @param type the packaging, {@code jar} unless given
 */
public record MavenCoordinates(
    String group, String artifact, String version, String classifier, String type) {
  private static final java.util.Set<String> PACKAGINGS =
      java.util.Set.of("jar", "aar", "zip", "war", "pom", "tar.gz");

  public static MavenCoordinates parse(String text) {
    String[] parts = text.split(":");
    if (parts.length < 3 || parts.length > 5) {
      throw new IllegalArgumentException(
          "'" + text + "' is not group:artifact:version[:classifier][:type]");
    }
    for (String part : parts) {
      if (part.isBlank()
          || !part.matches("[A-Za-z0-9._-]+")
          || part.startsWith(".")) { // no ../ out of the repository
        throw new IllegalArgumentException(
            "'" + text + "' is not group:artifact:version[:classifier][:type]");
      }
    }
    String classifier = parts.length >= 4 ? parts[3] : null;
    String type = parts.length == 5 ? parts[4] : "jar";
    if (parts.length == 4 && PACKAGINGS.contains(parts[3])) {
      classifier = null;
      type = parts[3];
    }
    return new MavenCoordinates(parts[0], parts[1], parts[2], classifier, type);
  }

  /** The file name in a Maven repository, e.g. {@code vosk-model-en-0.3.45.aar}. */
  public String fileName() {
    return artifact + "-" + version + (classifier == null ? "" : "-" + classifier) + "." + type;
  }

  /** The path of the file relative to a repository root. */
  public String repositoryPath() {
    return group.replace('.', '/') + "/" + artifact + "/" + version + "/" + fileName();
  }

  @Override
  public String toString() {
    return group
        + ":"
        + artifact
        + ":"
        + version
        + (classifier == null ? "" : ":" + classifier)
        + ":"
        + type;
  }
}
