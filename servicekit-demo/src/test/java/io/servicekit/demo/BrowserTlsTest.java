package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.servicekit.WsConfig;
import io.servicekit.demo.ops.DemoOps;
import io.servicekit.jetty.ServiceKitServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The demo started as {@code TLS_PORT} starts it (HTTPS beside HTTP, its self-signed development
 * certificate) in a real Chromium through {@code src/test/browser/browser-tls.mjs}: the page, an
 * {@code EventSource} and a {@code wss://} WebSocket all ride HTTP/2, the WebSocket by RFC 8441
 * (Chromium's own view of each response, read through the DevTools protocol), the home page's
 * bundled JavaScript {@code WsClient} works unchanged over {@code wss://}, and every TLS connection
 * the server holds meanwhile is HTTP/2. Skipped without Chromium unless {@code
 * -Dservicekit.requireBrowser=true}.
 */
class BrowserTlsTest {
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @Test
  @SuppressWarnings("unchecked")
  void pageEventSourceAndWebSocketRideHttp2InChromium() throws Exception {
    String chromium = BrowserE2ETest.chromium();
    NodeProject project = NodeProject.installed("browser", "playwright-core");
    DemoOps ops = DemoOps.from(Map.of("RATE_LIMIT_PER_IP", "1000", "TLS_PORT", "0"));
    ServiceKitServer server =
        DemoServer.build(0, WsConfig.defaults().pingPeriod(), ops, null).server().start();
    HttpServer control =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    control.createContext(
        "/connections",
        exchange -> {
          byte[] body =
              JSON.writeValueAsString(Map.of("protocols", tlsProtocols(server)))
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          try (var out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    control.start();
    try {
      assertThat(server.tlsUri().toString()).startsWith("https://127.0.0.1:");
      NodeProject.Result result =
          project.node(
              Duration.ofMinutes(3),
              "browser-tls.mjs",
              server.tlsUri().toString(),
              chromium,
              "http://127.0.0.1:" + control.getAddress().getPort());
      assertThat(result.exit()).as("browser-tls.mjs failed:%n%s", result.output()).isZero();
      Map<String, Object> summary = JSON.readValue(result.lastLine(), Map.class);
      List<Map<String, Object>> checks = (List<Map<String, Object>>) summary.get("checks");
      assertThat(checks).extracting(c -> c.get("name")).hasSize(8);
      System.out.println("browser-tls: " + result.lastLine());
      assertThat(checks).allSatisfy(c -> assertThat(c).as(c.toString()).containsEntry("ok", true));
    } finally {
      control.stop(0);
      server.close();
    }
  }

  /** "h2" or "http/1.1" for each connection open on the server's TLS connector now. */
  private static List<String> tlsProtocols(ServiceKitServer server) {
    int tlsPort = server.tlsPort();
    return java.util.Arrays.stream(server.jetty().getConnectors())
        .filter(c -> c instanceof ServerConnector sc && sc.getLocalPort() == tlsPort)
        .map(Connector::getConnectedEndPoints)
        .flatMap(java.util.Collection::stream)
        .map(EndPoint::getConnection)
        .map(BrowserTlsTest::decrypted)
        .map(c -> c.getClass().getName().contains("HTTP2") ? "h2" : "http/1.1")
        .toList();
  }

  private static Connection decrypted(Connection c) {
    return c instanceof SslConnection ssl && ssl.getSslEndPoint().getConnection() != null
        ? ssl.getSslEndPoint().getConnection()
        : c;
  }
}
