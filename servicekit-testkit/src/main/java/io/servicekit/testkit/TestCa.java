package io.servicekit.testkit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority for TLS tests, made with the JDK's {@code keytool} (no
 * third-party crypto): a self-signed CA and server certificates it signs for {@code localhost},
 * {@code 127.0.0.1} and {@code ::1}, written as PEM (chain + PKCS#8 key) and PKCS#12.
 *
 * <pre>{@code
 * TestCa ca = TestCa.create(tempDir);
 * TestCa.Leaf leaf = ca.issue("server");
 * ServiceKitServer.builder().tls(TlsConfig.pem(leaf.chainPem(), leaf.keyPem()))...
 * HttpClient.newBuilder().sslContext(ca.sslContext())...
 * }</pre>
 */
public final class TestCa {
  /** Password of every keystore this class writes. */
  public static final String PASSWORD = "changeit";

  private static final int VALIDITY_DAYS = 2;
  private final Path dir;
  private final Path caStore;
  private final X509Certificate caCert;
  private final AtomicInteger issued = new AtomicInteger();

  private TestCa(Path dir, Path caStore, X509Certificate caCert) {
    this.dir = dir;
    this.caStore = caStore;
    this.caCert = caCert;
  }

  /** Makes a new CA (EC P-256) in {@code dir}. */
  public static TestCa create(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path store = dir.resolve("ca.p12");
    keytool(
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=ServiceKit Test CA",
        "-ext",
        "bc:c",
        "-validity",
        String.valueOf(VALIDITY_DAYS),
        "-keystore",
        store.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    try {
      KeyStore ks = loadPkcs12(store);
      return new TestCa(dir, store, (X509Certificate) ks.getCertificate("ca"));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read " + store, e);
    }
  }

  /** The CA certificate. */
  public X509Certificate certificate() {
    return caCert;
  }

  /** A client {@link SSLContext} trusting this CA only. */
  public SSLContext sslContext() {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", caCert);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust context for the test CA", e);
    }
  }

  /** A server certificate, key and keystore written by {@link #issue}. */
  public record Leaf(
      Path chainPem, Path keyPem, Path pkcs12, X509Certificate certificate, String commonName) {}

  /**
   * Issues a server certificate (EC P-256) for {@code localhost}, {@code 127.0.0.1} and {@code ::1}
   * with common name {@code name}; writes {@code name.crt.pem} (leaf then CA), {@code name.key.pem}
   * (PKCS#8) and {@code name.p12} (password {@link #PASSWORD}) in the CA's folder.
   */
  public Leaf issue(String name) throws IOException {
    Path work = dir.resolve(name + "-" + issued.incrementAndGet());
    Files.createDirectories(work);
    Path store = work.resolve("key.p12");
    keytool(
        "-genkeypair",
        "-alias",
        "leaf",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=" + name,
        "-validity",
        String.valueOf(VALIDITY_DAYS),
        "-keystore",
        store.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    Path csr = work.resolve("leaf.csr");
    keytool(
        "-certreq",
        "-alias",
        "leaf",
        "-keystore",
        store.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        csr.toString());
    Path crt = work.resolve("leaf.crt");
    keytool(
        "-gencert",
        "-alias",
        "ca",
        "-keystore",
        caStore.toString(),
        "-storepass",
        PASSWORD,
        "-infile",
        csr.toString(),
        "-outfile",
        crt.toString(),
        "-rfc",
        "-validity",
        String.valueOf(VALIDITY_DAYS),
        "-ext",
        "SAN=dns:localhost,ip:127.0.0.1,ip:::1",
        "-ext",
        "EKU=serverAuth");
    try {
      PrivateKey key = (PrivateKey) loadPkcs12(store).getKey("leaf", PASSWORD.toCharArray());
      X509Certificate cert;
      try (InputStream in = Files.newInputStream(crt)) {
        cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      }
      Path chainPem = dir.resolve(name + ".crt.pem");
      Path keyPem = dir.resolve(name + ".key.pem");
      Path p12 = dir.resolve(name + ".p12");
      writeAtomically(chainPem, (pem(cert) + pem(caCert)).getBytes(StandardCharsets.US_ASCII));
      writeAtomically(
          keyPem, pem("PRIVATE KEY", key.getEncoded()).getBytes(StandardCharsets.US_ASCII));
      KeyStore out = KeyStore.getInstance("PKCS12");
      out.load(null, null);
      out.setKeyEntry("server", key, PASSWORD.toCharArray(), new Certificate[] {cert, caCert});
      java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
      out.store(bytes, PASSWORD.toCharArray());
      writeAtomically(p12, bytes.toByteArray());
      return new Leaf(chainPem, keyPem, p12, cert, name);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot assemble the certificate " + name, e);
    }
  }

  /** Replaces {@code file} by a rename, so a watcher never sees it half written. */
  public static void writeAtomically(Path file, byte[] content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      out.write(content);
    }
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** PEM text of a certificate. */
  public static String pem(X509Certificate cert) {
    try {
      return pem("CERTIFICATE", cert.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String label, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }

  private static KeyStore loadPkcs12(Path store) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(new ByteArrayInputStream(Files.readAllBytes(store)), PASSWORD.toCharArray());
    return ks;
  }

  private static void keytool(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool timed out: " + cmd);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for keytool", e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed (" + p.exitValue() + "): " + out);
    }
  }
}
