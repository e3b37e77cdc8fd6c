package io.servicekit.jetty;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Where the server's certificate comes from: PEM files (certificate chain + PKCS#8 private key) or
 * a PKCS#12 keystore. Given to {@link ServiceKitServer.Builder#tls}.
 *
 * <p>The files are read and checked when the server is built (a missing file, a PEM without a
 * certificate, a key that is not PKCS#8, a key that does not match the certificate, a wrong
 * keystore password: each an {@link IllegalArgumentException} naming the file and the problem),
 * then watched every {@link #reloadInterval}: when their content changes, new connections get the
 * new certificate and open ones keep theirs. A change that does not load (say the certificate was
 * replaced and the key not yet) is logged and retried at the next check; the old certificate stays
 * in use meanwhile.
 *
 * <p>Protocols are TLS 1.3 and 1.2 only, with Jetty's default exclusion of weak cipher suites; SNI
 * is not required (clients connecting by IP address send none).
 */
public final class TlsConfig {
  private static final Pattern PEM_KEY =
      Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]*)-----END \\1-----");
  static final String ALIAS = "servicekit";

  private final @Nullable Path certificateChain; // PEM; null for PKCS#12
  private final @Nullable Path privateKey; // PEM; null for PKCS#12
  private final @Nullable Path keyStore; // PKCS#12; null for PEM
  private final @Nullable String password; // PKCS#12 store and key password
  private final Duration reloadInterval;

  private TlsConfig(
      @Nullable Path certificateChain,
      @Nullable Path privateKey,
      @Nullable Path keyStore,
      @Nullable String password,
      Duration reloadInterval) {
    this.certificateChain = certificateChain;
    this.privateKey = privateKey;
    this.keyStore = keyStore;
    this.password = password;
    this.reloadInterval = reloadInterval;
  }

  /**
   * From PEM files: {@code certificateChain} holds the server certificate first, then any
   * intermediates; {@code privateKey} holds its unencrypted PKCS#8 key ({@code -----BEGIN PRIVATE
   * KEY-----}; convert a PKCS#1 {@code RSA PRIVATE KEY} or SEC1 {@code EC PRIVATE KEY} with {@code
   * openssl pkcs8 -topk8 -nocrypt}).
   */
  public static TlsConfig pem(Path certificateChain, Path privateKey) {
    return new TlsConfig(
        Objects.requireNonNull(certificateChain, "certificateChain"),
        Objects.requireNonNull(privateKey, "privateKey"),
        null,
        null,
        Duration.ofMinutes(1));
  }

  /**
   * From a PKCS#12 keystore whose store and key share {@code password}; the first key entry is
   * used.
   */
  public static TlsConfig pkcs12(Path keyStore, String password) {
    return new TlsConfig(
        null,
        null,
        Objects.requireNonNull(keyStore, "keyStore"),
        Objects.requireNonNull(password, "password"),
        Duration.ofMinutes(1));
  }

  /**
   * How often the files are checked for a new certificate. Default 1 minute; {@link Duration#ZERO}
   * turns watching off ({@link ServiceKitServer#reloadTls()} still reloads on demand).
   *
   * @throws IllegalArgumentException for a negative duration
   */
  public TlsConfig reloadInterval(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative()) {
      throw new IllegalArgumentException(
          "reloadInterval must be positive, or zero to turn watching off: " + interval);
    }
    return new TlsConfig(certificateChain, privateKey, keyStore, password, interval);
  }

  public Duration reloadInterval() {
    return reloadInterval;
  }

  /** The files read, for the log and for watching. */
  List<Path> files() {
    return keyStore != null ? List.of(keyStore) : List.of(certificateChain, privateKey);
  }

  /** The password protecting the key in {@link #load()}'s store. */
  String keyPassword() {
    return keyStore != null ? Objects.requireNonNull(password, "password") : ALIAS;
  }

  /** A digest of the files' bytes: what the watcher compares. */
  byte[] fingerprint() throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Path p : files()) {
        md.update(Files.readAllBytes(p));
        md.update((byte) 0);
      }
      return md.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads the files into a keystore holding one key entry.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  KeyStore load() {
    return keyStore != null ? loadPkcs12() : loadPem();
  }

  private KeyStore loadPkcs12() {
    // pkcs12(...) sets both
    Path keyStore = Objects.requireNonNull(this.keyStore, "keyStore");
    String password = Objects.requireNonNull(this.password, "password");
    byte[] bytes = read(keyStore, "TLS keystore");
    KeyStore ks;
    try {
      ks = KeyStore.getInstance("PKCS12");
      ks.load(new ByteArrayInputStream(bytes), password.toCharArray());
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw problem(keyStore, "TLS keystore", "wrong password", e);
      }
      throw problem(keyStore, "TLS keystore", "not a PKCS#12 keystore (" + e.getMessage() + ")", e);
    } catch (GeneralSecurityException e) {
      throw problem(keyStore, "TLS keystore", "cannot be read (" + e.getMessage() + ")", e);
    }
    try {
      for (String alias : Collections.list(ks.aliases())) {
        if (ks.isKeyEntry(alias)) {
          try {
            ks.getKey(alias, password.toCharArray());
          } catch (UnrecoverableKeyException e) {
            throw problem(keyStore, "TLS keystore", "wrong key password for entry " + alias, e);
          }
          return ks;
        }
      }
    } catch (GeneralSecurityException e) {
      throw problem(keyStore, "TLS keystore", "cannot be read (" + e.getMessage() + ")", e);
    }
    throw problem(keyStore, "TLS keystore", "holds no private key entry", null);
  }

  private KeyStore loadPem() {
    // pem(...) sets both
    Path certificateChain = Objects.requireNonNull(this.certificateChain, "certificateChain");
    Path privateKey = Objects.requireNonNull(this.privateKey, "privateKey");
    byte[] certBytes = read(certificateChain, "TLS certificate chain");
    if (!new String(certBytes, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw problem(
          certificateChain,
          "TLS certificate chain",
          "holds no certificate (expected -----BEGIN CERTIFICATE-----)",
          null);
    }
    List<X509Certificate> chain;
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(certBytes));
      chain = certs.stream().map(c -> (X509Certificate) c).toList();
    } catch (GeneralSecurityException e) {
      throw problem(
          certificateChain,
          "TLS certificate chain",
          "not a PEM certificate (" + e.getMessage() + ")",
          e);
    }
    if (chain.isEmpty()) {
      throw problem(
          certificateChain,
          "TLS certificate chain",
          "holds no certificate (expected -----BEGIN CERTIFICATE-----)",
          null);
    }
    PrivateKey key = readKey(privateKey, chain.get(0).getPublicKey());
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry(ALIAS, key, ALIAS.toCharArray(), chain.toArray(new Certificate[0]));
      return ks;
    } catch (GeneralSecurityException | IOException e) {
      throw problem(privateKey, "TLS private key", "cannot be stored (" + e.getMessage() + ")", e);
    }
  }

  private PrivateKey readKey(Path privateKey, PublicKey certKey) {
    String text = new String(read(privateKey, "TLS private key"), StandardCharsets.US_ASCII);
    Matcher m = PEM_KEY.matcher(text);
    String body = null;
    while (m.find()) {
      String label = m.group(1);
      if (label.equals("PRIVATE KEY")) {
        body = m.group(2);
        break;
      }
      if (label.equals("RSA PRIVATE KEY") || label.equals("EC PRIVATE KEY")) {
        throw problem(
            privateKey,
            "TLS private key",
            "is "
                + label
                + ", not PKCS#8: convert it with openssl pkcs8 -topk8 -nocrypt -in <file>",
            null);
      }
      if (label.equals("ENCRYPTED PRIVATE KEY")) {
        throw problem(
            privateKey,
            "TLS private key",
            "is encrypted: give an unencrypted PKCS#8 key (-----BEGIN PRIVATE KEY-----)",
            null);
      }
    }
    if (body == null) {
      throw problem(
          privateKey,
          "TLS private key",
          "holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)",
          null);
    }
    PrivateKey key;
    try {
      byte[] der = Base64.getMimeDecoder().decode(body.strip());
      key =
          KeyFactory.getInstance(certKey.getAlgorithm())
              .generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw problem(
          privateKey,
          "TLS private key",
          "not a valid PKCS#8 "
              + certKey.getAlgorithm()
              + " key for the certificate ("
              + e.getMessage()
              + ")",
          e);
    }
    if (!matches(key, certKey)) {
      throw problem(
          privateKey,
          "TLS private key",
          "does not match the certificate in " + certificateChain,
          null);
    }
    return key;
  }

  /** Signs a few bytes with the key and checks them with the certificate's public key. */
  private static boolean matches(PrivateKey key, PublicKey pub) {
    String alg =
        switch (pub.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "Ed25519", "Ed448", "EdDSA" -> pub.getAlgorithm();
          default -> null;
        };
    if (alg == null) {
      return true; // an algorithm we cannot test: the handshake will tell
    }
    try {
      byte[] probe = "servicekit key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] read(Path file, String what) {
    try (InputStream in = Files.newInputStream(file)) {
      return in.readAllBytes();
    } catch (java.nio.file.NoSuchFileException e) {
      throw problem(file, what, "file not found", e);
    } catch (IOException e) {
      throw problem(file, what, "cannot be read (" + e + ")", e);
    }
  }

  private static IllegalArgumentException problem(
      Path file, String what, String problem, @Nullable Throwable cause) {
    return new IllegalArgumentException(what + " " + file + ": " + problem, cause);
  }

  @Override
  public String toString() {
    return keyStore != null
        ? "TlsConfig[pkcs12=" + keyStore + "]"
        : "TlsConfig[pem=" + certificateChain + ", key=" + privateKey + "]";
  }
}
