package io.sluice.server.http;

import io.sluice.server.config.FrontDoorSettings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the TLS certificate and key when either file changes (as cert-manager or a rotated
 * Kubernetes Secret does) and hands them to the running servers: new connections use the new
 * certificate, open ones keep theirs. A pair that does not load is logged and the old one stays in
 * use.
 */
public final class CertificateReloader {
  private static final Logger log = LoggerFactory.getLogger(CertificateReloader.class);

  private final FrontDoorSettings.Tls tls;
  private final Supplier<List<HttpServer>> servers;
  private final ServerSSLOptions base;
  private FileTime certificateStamp;
  private FileTime keyStamp;

  public CertificateReloader(
      FrontDoorSettings.Tls tls, ServerSSLOptions base, Supplier<List<HttpServer>> servers) {
    this.tls = tls;
    this.base = base;
    this.servers = servers;
    this.certificateStamp = stamp(tls.certificate());
    this.keyStamp = stamp(tls.key());
  }

  public static PemKeyCertOptions keyCertificate(FrontDoorSettings.Tls tls) {
    return new PemKeyCertOptions()
        .setCertPath(tls.certificate().toString())
        .setKeyPath(tls.key().toString());
  }

  /** Checks the files; called periodically. */
  public synchronized void check() {
    FileTime certificate = stamp(tls.certificate());
    FileTime key = stamp(tls.key());
    if (Objects.equals(certificate, certificateStamp) && Objects.equals(key, keyStamp)) {
      return;
    }
    certificateStamp = certificate;
    keyStamp = key;
    ServerSSLOptions options = new ServerSSLOptions(base).setKeyCertOptions(keyCertificate(tls));
    for (HttpServer server : servers.get()) {
      server
          .updateSSLOptions(options, true)
          .onSuccess(updated -> log.info("TLS certificate reloaded from {}", tls.certificate()))
          .onFailure(
              error ->
                  log.error(
                      "TLS certificate {} could not be reloaded; keeping the previous one: {}",
                      tls.certificate(),
                      error.toString()));
    }
  }

  private static FileTime stamp(java.nio.file.Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return null;
    }
  }
}
