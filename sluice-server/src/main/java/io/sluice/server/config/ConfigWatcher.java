package io.sluice.server.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration file of a running server when it changes: the new file is validated and
 * applied like {@code PUT /api/v1/config}; an invalid file is logged with its problem and changes
 * nothing.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

  private final Path file;
  private final ConfigLoader loader;
  private final ConfigApplier applier;
  private final WatchService watcher;
  private final Thread thread;

  public ConfigWatcher(Path file, ConfigLoader loader, ConfigApplier applier) throws IOException {
    this.file = file.toAbsolutePath().normalize();
    this.loader = loader;
    this.applier = applier;
    this.watcher = FileSystems.getDefault().newWatchService();
    this.file
        .getParent()
        .register(
            watcher, StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_CREATE);
    this.thread = new Thread(this::watch, "sluice-config-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void watch() {
    try {
      while (true) {
        WatchKey key = watcher.take();
        boolean ours = false;
        for (WatchEvent<?> event : key.pollEvents()) {
          ours |= event.context() instanceof Path changed && changed.equals(file.getFileName());
        }
        key.reset();
        if (ours) {
          TimeUnit.MILLISECONDS.sleep(
              200); // let the editor finish writing; later events collapse into this reload
          drain();
          reload();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  private void drain() {
    WatchKey pending;
    while ((pending = watcher.poll()) != null) {
      pending.pollEvents();
      pending.reset();
    }
  }

  private void reload() {
    if (!Files.isRegularFile(file)) {
      return;
    }
    try {
      ServerSettings next = loader.load(file);
      applier.apply(next);
    } catch (ConfigException e) {
      log.warn("configuration {} not applied: {}", file, e.getMessage());
      applier.refused(e.getMessage());
    } catch (RuntimeException e) {
      log.warn("configuration {} not applied: {}", file, e.toString());
      applier.refused(e.toString());
    }
  }

  @Override
  public void close() throws IOException {
    watcher.close();
    thread.interrupt();
  }
}
