package io.servicekit.demo.ops;

import io.servicekit.jetty.TlsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The demo's HTTPS certificate: the PEM files named by {@code TLS_CERT} and {@code TLS_KEY}, or
 * else a self-signed development certificate for {@code localhost}, {@code 127.0.0.1} and {@code
 * ::1} (plus the {@code BIND} name when it is another), made once with the JDK's {@code keytool}
 * and kept in {@code <java.io.tmpdir>/servicekit-demo-tls/} so that a browser's exception for it
 * survives restarts. {@code dev-cert.pem} beside it is the certificate to trust ({@code curl
 * --cacert}, or import it into the browser's authorities).
 */
public final class DemoTls {
  /** Password of the development keystore (it never leaves this machine's temporary folder). */
  static final String DEV_PASSWORD = "servicekit-demo";

  private DemoTls() {}

  /** A certificate and how to describe it in the start-up log. */
  record Cert(TlsConfig config, String description) {}

  /**
   * The certificate for the demo's TLS port.
   *
   * @throws IllegalArgumentException when only one of {@code TLS_CERT}/{@code TLS_KEY} is set, or
   *     the development certificate cannot be made (naming why)
   */
  static Cert config(String certFile, String keyFile, String bind) {
    boolean cert = certFile != null && !certFile.isBlank();
    boolean key = keyFile != null && !keyFile.isBlank();
    if (cert != key) {
      throw new IllegalArgumentException(
          "TLS_CERT and TLS_KEY go together (a PEM certificate chain and its PKCS#8 key); got only "
              + (cert ? "TLS_CERT" : "TLS_KEY"));
    }
    if (cert) {
      Path chain = Path.of(certFile.strip());
      return new Cert(
          TlsConfig.pem(chain, Path.of(keyFile.strip())), "certificate " + chain + ", reloaded");
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "servicekit-demo-tls");
    try {
      return new Cert(
          TlsConfig.pkcs12(devKeyStore(dir, bind), DEV_PASSWORD),
          "self-signed development certificate; to trust it: " + dir.resolve("dev-cert.pem"));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "could not make the development certificate in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The development keystore in {@code dir} for {@code bind}, made if missing. */
  static Path devKeyStore(Path dir, String bind) throws IOException {
    String san = "dns:localhost,ip:127.0.0.1,ip:::1";
    if (!List.of("localhost", "127.0.0.1", "::1", "0.0.0.0", "::").contains(bind)) {
      san += (bind.matches("[0-9.]+") || bind.contains(":") ? ",ip:" : ",dns:") + bind;
    }
    String name = "dev-" + Integer.toHexString(san.hashCode());
    Path store = dir.resolve(name + ".p12");
    if (Files.isRegularFile(store)) {
      return store;
    }
    Files.createDirectories(dir);
    Path partial = dir.resolve(name + ".p12.partial");
    Files.deleteIfExists(partial);
    keytool(
        "-genkeypair",
        "-alias",
        "servicekit-demo",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=ServiceKit demo (development only)",
        "-ext",
        "SAN=" + san,
        "-validity",
        "825",
        "-keystore",
        partial.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        DEV_PASSWORD,
        "-keypass",
        DEV_PASSWORD);
    Path pem = dir.resolve("dev-cert.pem");
    Files.deleteIfExists(pem); // keytool refuses to overwrite it
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "servicekit-demo",
        "-keystore",
        partial.toString(),
        "-storepass",
        DEV_PASSWORD,
        "-file",
        pem.toString());
    Files.move(partial, store, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return store;
  }

  private static void keytool(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("keytool " + args[0] + " did not finish within 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while keytool ran", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed (" + p.exitValue() + "): " + out);
    }
  }
}
