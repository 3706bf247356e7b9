package io.sluice.spi.transform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The transformer steps available, by name: those on the class path and those in a plugin folder's
 * jars.
 */
public final class TransformerFactories {
  private static final Map<Path, TransformerFactories> DISCOVERED = new ConcurrentHashMap<>();
  private static final Path NO_PLUGINS = Path.of("");

  private final Map<String, TransformerFactory> byName;

  public TransformerFactories(Iterable<? extends TransformerFactory> factories) {
    Map<String, TransformerFactory> map = new TreeMap<>();
    for (TransformerFactory factory : factories) {
      map.put(factory.name(), factory);
    }
    this.byName = Map.copyOf(map);
  }

  /**
   * The steps on the class path, plus those in the jars of {@code pluginDirectory} (null or
   * missing: none). Each folder's jars are loaded once per process; jars added later need a
   * restart.
   */
  public static TransformerFactories discover(Path pluginDirectory) {
    Path key = pluginDirectory == null ? NO_PLUGINS : pluginDirectory.toAbsolutePath().normalize();
    return DISCOVERED.computeIfAbsent(
        key,
        directory ->
            new TransformerFactories(
                ServiceLoader.load(TransformerFactory.class, classLoader(directory))));
  }

  private static ClassLoader classLoader(Path directory) {
    ClassLoader parent = TransformerFactories.class.getClassLoader();
    if (directory.equals(NO_PLUGINS) || !Files.isDirectory(directory)) {
      return parent;
    }
    try (Stream<Path> files = Files.list(directory)) {
      List<Path> jars =
          files.filter(file -> file.getFileName().toString().endsWith(".jar")).sorted().toList();
      URL[] urls = new URL[jars.size()];
      for (int i = 0; i < urls.length; i++) {
        urls[i] = jars.get(i).toUri().toURL();
      }
      return new URLClassLoader("sluice-plugins", urls, parent);
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the plugin folder " + directory, e);
    }
  }

  public Optional<TransformerFactory> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public Set<String> names() {
    return new TreeSet<>(byName.keySet());
  }
}
