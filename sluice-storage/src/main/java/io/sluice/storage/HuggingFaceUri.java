package io.sluice.storage;

/**
 * {@code hf://org/repo[@revision][/path]}: a Hugging Face model repository, at a branch, tag or
 * commit ({@code main} unless given), whole or one file.
 *
 * @param path a file in the repository, or null for the whole repository
 */
record HuggingFaceUri(String repository, String revision, String path) {
  private static final String PART = "[A-Za-z0-9][A-Za-z0-9._-]*";

  static HuggingFaceUri parse(String uri) throws StorageException {
    String rest = uri.substring("hf://".length());
    String[] parts = rest.split("/", 3);
    if (parts.length < 2) {
      throw invalid(uri);
    }
    String owner = parts[0];
    String name = parts[1];
    String revision = "main";
    int at = name.indexOf('@');
    if (at >= 0) {
      revision = name.substring(at + 1);
      name = name.substring(0, at);
    }
    String path = parts.length == 3 && !parts[2].isEmpty() ? parts[2] : null;
    if (!owner.matches(PART)
        || !name.matches(PART)
        || !revision.matches(PART)
        || path != null && (path.startsWith("/") || ("/" + path + "/").contains("/../"))) {
      throw invalid(uri);
    }
    return new HuggingFaceUri(owner + "/" + name, revision, path);
  }

  private static StorageException invalid(String uri) {
    return new StorageException("'" + uri + "' is not hf://org/repo[@revision][/path]");
  }

  /** The hub cache's folder name for the repository: {@code models--org--repo}. */
  String cacheFolder() {
    return "models--" + repository.replace("/", "--");
  }

  boolean revisionIsCommit() {
    return revision.matches("[0-9a-f]{40}");
  }
}
