package io.sluice.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Packages of an npm registry ({@code npm://[@scope/]name@version}): the package's tarball, cached
 * like any https download. Models ship there too (Silero VAD in {@code @ricky0123/vad-web}). Only
 * exact versions are taken: a range would make the same configuration load different weights.
 */
final class NpmRegistry {
  private static final Pattern PACKAGE =
      Pattern.compile("((?:@[a-z0-9][\\w.-]*/)?)([a-z0-9][\\w.-]*)@(\\d+\\.\\d+\\.\\d+[\\w.+-]*)");

  private final URI registry;
  private final HttpStorage https;

  /**
   * @param registry the registry's base URL ({@code $npm_config_registry}, default {@code
   *     https://registry.npmjs.org/})
   */
  NpmRegistry(URI registry, HttpStorage https) {
    String base = registry.toString();
    this.registry = URI.create(base.endsWith("/") ? base : base + "/");
    this.https = https;
  }

  /** The tarball of {@code spec}, e.g. {@code @ricky0123/vad-web@0.0.31}. */
  Path fetch(String spec) throws StorageException {
    return https.fetch(tarball(spec));
  }

  /** Where the registry keeps the tarball: {@code {registry}/@scope/name/-/name-version.tgz}. */
  URI tarball(String spec) throws StorageException {
    Matcher matcher = PACKAGE.matcher(spec);
    if (!matcher.matches()) {
      throw new StorageException(
          "'npm://"
              + spec
              + "' is not a package at an exact version; expected npm://[@scope/]name@1.2.3");
    }
    String scope = matcher.group(1);
    String name = matcher.group(2);
    String version = matcher.group(3);
    return registry.resolve(scope + name + "/-/" + name + "-" + version + ".tgz");
  }
}
