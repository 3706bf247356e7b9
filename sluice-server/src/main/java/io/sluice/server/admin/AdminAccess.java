package io.sluice.server.admin;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Who may use the admin API: a bearer token (configured, or generated at start-up), and optionally
 * only from loopback addresses.
 */
public final class AdminAccess {
  private final String token;
  private final boolean loopbackOnly;
  private final boolean generated;
  private final boolean clientCertificateRequired;

  private AdminAccess(
      String token, boolean loopbackOnly, boolean generated, boolean clientCertificateRequired) {
    this.token = token;
    this.loopbackOnly = loopbackOnly;
    this.generated = generated;
    this.clientCertificateRequired = clientCertificateRequired;
  }

  /** Whether the request came over TLS with a client certificate the server verified. */
  public static boolean presentsClientCertificate(io.vertx.core.http.HttpServerRequest request) {
    try {
      return request.isSSL() && !request.connection().peerCertificates().isEmpty();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return false;
    }
  }

  /** Why {@code request} may not use the admin API, or null when it may. */
  public String refusal(io.vertx.core.http.HttpServerRequest request) {
    return refusal(
        request.getHeader("Authorization"),
        request.remoteAddress().hostAddress(),
        presentsClientCertificate(request));
  }

  /**
   * Whether a refusal is about where the client is or what it presented (403), not a missing or
   * wrong token (401).
   */
  public static boolean isForbidden(String refusal) {
    return refusal.startsWith("the admin API only");
  }

  /** Uses {@code configuredToken}, or generates a random one when it is null. */
  public static AdminAccess of(String configuredToken, boolean loopbackOnly) {
    return of(configuredToken, loopbackOnly, false);
  }

  /**
   * Like {@link #of(String, boolean)}; with {@code clientCertificateRequired}, admin calls must
   * also come over TLS with a client certificate the server verified.
   */
  public static AdminAccess of(
      String configuredToken, boolean loopbackOnly, boolean clientCertificateRequired) {
    if (configuredToken != null) {
      return new AdminAccess(configuredToken, loopbackOnly, false, clientCertificateRequired);
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    return new AdminAccess(
        HexFormat.of().formatHex(random), loopbackOnly, true, clientCertificateRequired);
  }

  public String token() {
    return token;
  }

  public boolean generated() {
    return generated;
  }

  /** Why a request may not use the admin API, or null when it may. */
  public String refusal(String authorizationHeader, String remoteAddress) {
    return refusal(authorizationHeader, remoteAddress, false);
  }

  /**
   * Why a client at {@code remoteAddress} may not even see the read-only views (the dashboard), or
   * null: they are held to the same network rule as the admin API, not to its token.
   */
  public String viewRefusal(String remoteAddress) {
    if (loopbackOnly && !isLoopback(remoteAddress)) {
      return "the dashboard only answers loopback clients (server.adminLoopbackOnly)";
    }
    return null;
  }

  /**
   * Like {@link #refusal(String, String)}, knowing whether the client presented a verified
   * certificate.
   */
  public String refusal(
      String authorizationHeader, String remoteAddress, boolean verifiedClientCertificate) {
    if (loopbackOnly && !isLoopback(remoteAddress)) {
      return "the admin API only answers loopback clients (server.adminLoopbackOnly)";
    }
    if (clientCertificateRequired && !verifiedClientCertificate) {
      return "the admin API only answers clients with a certificate signed by server.tls.clientCa";
    }
    if (authorizationHeader == null || !authorizationHeader.startsWith("Bearer ")) {
      return "missing 'Authorization: Bearer <admin token>'";
    }
    byte[] given =
        authorizationHeader.substring("Bearer ".length()).trim().getBytes(StandardCharsets.UTF_8);
    if (!MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8))) {
      return "wrong admin token";
    }
    return null;
  }

  private static boolean isLoopback(String address) {
    if (address == null) {
      return false;
    }
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
