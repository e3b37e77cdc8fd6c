package io.servicekit.bench.server;

import io.servicekit.Hub;
import io.servicekit.Message;
import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.jetty.io.ConnectionStatistics;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.util.Pool;
import org.eclipse.jetty.websocket.core.WebSocketComponents;

/**
 * The server of {@code DeflateBench}: ServiceKit with permessage-deflate off and on, side by side.
 *
 * <ul>
 *   <li>{@code /echo/off}, {@code /echo/on}, {@code /echo/fresh}: a raw echo with compression off,
 *       on (context takeover, the offer decides), and on with both {@code no_context_takeover}
 *       forced by the route;
 *   <li>{@code /broadcast/off}, {@code /broadcast/on}, {@code /broadcast/fresh}: members of one hub
 *       per route; a message received is broadcast to every member of its hub;
 *   <li>{@code /echo/wss}, {@code /broadcast/wss}: the same without compression on the TLS port (a
 *       self-signed certificate made with {@code keytool} at start; {@code tlsport} answers {@code
 *       TLSPORT n}).
 * </ul>
 *
 * <p>Prints {@code PORT n}, then answers {@code bytes} with {@code BYTES <sent> <received> <open>}
 * (TCP payload bytes of the connections closed so far, and the number open, from Jetty's {@link
 * ConnectionStatistics}, which adds a connection's bytes when it closes), {@code pools} with {@code
 * POOLS deflaters=<size>/<in use> inflaters=<size>/<in use>} (Jetty's compression pools) and stops
 * on {@code quit} or the end of input.
 */
public final class DeflateBenchServer {
  private static final String PASSWORD = "bench-tls"; // keytool wants 6 characters at least

  private DeflateBenchServer() {}

  public static void main(String[] args) throws Exception {
    WsConfig off = WsConfig.defaults();
    WsConfig on = off.toBuilder().compression(true).build();
    WsConfig fresh =
        on.toBuilder().serverNoContextTakeover(true).clientNoContextTakeover(true).build();
    ServiceKitServer.Builder b = ServiceKitServer.builder().host("127.0.0.1").port(0);
    b.tls(io.servicekit.jetty.TlsConfig.pkcs12(keyStore(), PASSWORD).reloadInterval(Duration.ZERO))
        .tlsPort(0);
    String[] names = {"off", "on", "fresh", "wss"};
    WsConfig[] configs = {off, on, fresh, off};
    for (int i = 0; i < names.length; i++) {
      Hub<Message> hub = new Hub<>();
      b.ws("/echo/" + names[i], r -> new ServiceKitBenchServer.RawEcho(), configs[i]);
      b.ws("/broadcast/" + names[i], r -> new ServiceKitBenchServer.Subscriber(hub), configs[i]);
    }
    ServiceKitServer server = b.build();
    // On the TLS port Jetty opens two connections per socket: the encrypted one and, inside it, the
    // decrypted one. Only the outer one's bytes are on the wire.
    ConnectionStatistics stats =
        new ConnectionStatistics() {
          @Override
          public void onOpened(org.eclipse.jetty.io.Connection c) {
            if (!(c.getEndPoint() instanceof org.eclipse.jetty.io.ssl.SslConnection.SslEndPoint)) {
              super.onOpened(c);
            }
          }

          @Override
          public void onClosed(org.eclipse.jetty.io.Connection c) {
            if (!(c.getEndPoint() instanceof org.eclipse.jetty.io.ssl.SslConnection.SslEndPoint)) {
              super.onClosed(c);
            }
          }
        };
    for (Connector c : server.jetty().getConnectors()) {
      c.addBean(stats);
    }
    server.start();
    System.out.println("PORT " + server.port());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    String line;
    while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
      if (line.trim().equals("pools")) {
        // Deflaters and inflaters pooled by Jetty (size = created and kept, in use = held now).
        StringBuilder out = new StringBuilder("POOLS");
        // The same components are reachable along more than one path of the bean tree: once each.
        java.util.Set<WebSocketComponents> components =
            java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        components.addAll(server.jetty().getContainedBeans(WebSocketComponents.class));
        for (WebSocketComponents c : components) {
          Pool<?> d = c.getDeflaterPool().getPool();
          Pool<?> i = c.getInflaterPool().getPool();
          out.append(" deflaters=")
              .append(d == null ? "-" : d.size() + "/" + d.getInUseCount())
              .append(" inflaters=")
              .append(i == null ? "-" : i.size() + "/" + i.getInUseCount());
        }
        System.out.println(out);
        System.out.flush();
      }
      if (line.trim().equals("tlsport")) {
        System.out.println("TLSPORT " + server.tlsPort());
        System.out.flush();
      }
      if (line.trim().equals("bytes")) {
        System.out.println(
            "BYTES "
                + stats.getSentBytes()
                + " "
                + stats.getReceivedBytes()
                + " "
                + stats.getConnections());
        System.out.flush();
      }
    }
    server.stop();
    System.exit(0);
  }

  /** A throw-away PKCS#12 keystore (password "bench-tls") for 127.0.0.1, made with keytool. */
  private static Path keyStore() throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("deflate-bench-tls");
    Path store = dir.resolve("bench.p12");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "bench",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                PASSWORD,
                "-keypass",
                PASSWORD)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("keytool failed: " + out);
    }
    store.toFile().deleteOnExit();
    dir.toFile().deleteOnExit();
    return store;
  }
}
