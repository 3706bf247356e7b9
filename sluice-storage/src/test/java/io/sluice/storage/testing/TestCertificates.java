package io.sluice.storage.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test certificate authority that signs server and client certificates and writes them as PEM.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final KeyPair caKeys;
  private final X509Certificate ca;

  public TestCertificates() throws Exception {
    caKeys = keys();
    ca =
        sign(
            new X500Name("CN=Sluice Test CA"),
            caKeys,
            new X500Name("CN=Sluice Test CA"),
            caKeys,
            true,
            false);
  }

  /** An issued certificate and its key. */
  public record Issued(X509Certificate certificate, KeyPair keys) {}

  public Issued server(String commonName) throws Exception {
    KeyPair keys = keys();
    return new Issued(
        sign(
            new X500Name("CN=Sluice Test CA"),
            caKeys,
            new X500Name("CN=" + commonName),
            keys,
            false,
            true),
        keys);
  }

  public Issued client(String commonName) throws Exception {
    KeyPair keys = keys();
    return new Issued(
        sign(
            new X500Name("CN=Sluice Test CA"),
            caKeys,
            new X500Name("CN=" + commonName),
            keys,
            false,
            false),
        keys);
  }

  public X509Certificate ca() {
    return ca;
  }

  public void writeCa(Path file) throws IOException {
    Files.writeString(file, pem(ca));
  }

  public static void write(Issued issued, Path certificate, Path key) throws IOException {
    Files.writeString(certificate, pem(issued.certificate()));
    Files.writeString(key, pem(issued.keys().getPrivate()));
  }

  /** A client context trusting this CA, presenting {@code client} when it is not null. */
  public SSLContext context(Issued client) throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory trustManagers =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trust);
    KeyManagerFactory keyManagers = null;
    if (client != null) {
      KeyStore identity = KeyStore.getInstance("PKCS12");
      identity.load(null, null);
      identity.setKeyEntry(
          "client",
          client.keys().getPrivate(),
          new char[0],
          new java.security.cert.Certificate[] {client.certificate(), ca});
      keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keyManagers.init(identity, new char[0]);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(
        keyManagers == null ? null : keyManagers.getKeyManagers(),
        trustManagers.getTrustManagers(),
        null);
    return context;
  }

  /** A server context presenting {@code server}, for test servers that speak TLS. */
  public SSLContext serverContext(Issued server) throws GeneralSecurityException, IOException {
    KeyStore identity = KeyStore.getInstance("PKCS12");
    identity.load(null, null);
    identity.setKeyEntry(
        "server",
        server.keys().getPrivate(),
        new char[0],
        new java.security.cert.Certificate[] {server.certificate(), ca});
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(identity, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers.getKeyManagers(), null, null);
    return context;
  }

  private static KeyPair keys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    return generator.generateKeyPair();
  }

  private static X509Certificate sign(
      X500Name issuer,
      KeyPair issuerKeys,
      X500Name subject,
      KeyPair subjectKeys,
      boolean authority,
      boolean loopbackNames)
      throws IOException, OperatorCreationException, GeneralSecurityException {
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            Date.from(now.minus(1, ChronoUnit.HOURS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)),
            subject,
            subjectKeys.getPublic());
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
    if (loopbackNames) {
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(
                    GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())
              }));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static String pem(Object object) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(
          object instanceof java.security.PrivateKey key
              ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null).generate()
              : object);
    }
    return text.toString();
  }
}
