package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Codec;
import io.servicekit.WsListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DNS rebinding: a server bound to loopback answers only requests whose {@code Host} is a loopback
 * name, plain requests and WebSocket upgrades alike, with raw sockets sending the {@code Host} a
 * rebinding page's browser would send.
 */
class LoopbackHostCheckTest {
  private ServiceKitServer server;

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.jetty().setStopTimeout(0);
      server.stop();
    }
  }

  private void start(String host, UnaryOperator<ServiceKitServer.Builder> options)
      throws Exception {
    server =
        options
            .apply(ServiceKitServer.builder().port(0).host(host))
            .ws("/ws", r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)))
            .route("/", new Ok())
            .build()
            .start();
  }

  @Test
  void loopbackBoundServerAnswersLoopbackHostsAndRefusesOthers() throws Exception {
    start("127.0.0.1", b -> b);
    int port = server.port();
    assertThat(server.loopbackHostCheck()).isTrue();

    for (String host :
        new String[] {
          "localhost:" + port,
          "127.0.0.1:" + port,
          "[::1]:" + port,
          "localhost",
          "LOCALHOST.",
          "127.1.2.3:80"
        }) {
      assertThat(get(host)).as(host).startsWith("HTTP/1.1 200").endsWith("ok");
    }
    for (String host :
        new String[] {
          "evil.example",
          "evil.example:" + port,
          "localhost.evil.example",
          "127.0.0.1.evil.example",
          "0.0.0.0:" + port,
          "[::2]"
        }) {
      String refused = get(host);
      assertThat(refused)
          .as(host)
          .startsWith("HTTP/1.1 403")
          .contains("Connection: close")
          .contains(
              "Host \"" + host.toLowerCase(Locale.ROOT) + "\" not allowed (loopbackHostCheck)");
    }
  }

  @Test
  void webSocketUpgradesAreCheckedToo() throws Exception {
    start("127.0.0.1", b -> b);
    int port = server.port();
    assertThat(upgrade("localhost:" + port)).startsWith("HTTP/1.1 101");
    assertThat(upgrade("127.0.0.1:" + port)).startsWith("HTTP/1.1 101");
    assertThat(upgrade("evil.example:" + port))
        .startsWith("HTTP/1.1 403")
        .contains("not allowed (loopbackHostCheck)");
  }

  @Test
  void localhostBindTurnsTheCheckOnAndExtraNamesCanBeAllowed() throws Exception {
    start("localhost", b -> b.allowedHosts("myapp.test"));
    assertThat(server.loopbackHostCheck()).isTrue();
    assertThat(get("myapp.test:" + server.port())).startsWith("HTTP/1.1 200");
    assertThat(get("other.test")).startsWith("HTTP/1.1 403").contains("myapp.test");
  }

  @Test
  void allInterfacesOrAnExplicitOffLeavesHostAlone() throws Exception {
    start(null, b -> b);
    assertThat(server.loopbackHostCheck()).isFalse();
    assertThat(get("evil.example")).startsWith("HTTP/1.1 200");
    server.stop();

    start("127.0.0.1", b -> b.loopbackHostCheck(false));
    assertThat(get("evil.example")).startsWith("HTTP/1.1 200");
  }

  @Test
  void allowedHostsRefusesPortsAndSchemes() {
    assertThatThrownBy(() -> ServiceKitServer.builder().allowedHosts("myapp.test:8080"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("allowedHosts")
        .hasMessageContaining("myapp.test:8080");
    assertThatThrownBy(() -> ServiceKitServer.builder().allowedHosts("http://x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private String get(String host) throws IOException {
    return exchange("GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
  }

  private String upgrade(String host) throws IOException {
    return exchange(
        "GET /ws HTTP/1.1\r\nHost: "
            + host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  }

  /** The response head (and body, up to close, unless it is a 101). */
  private String exchange(String request) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (int b; (b = in.read()) >= 0; ) {
        all.write(b);
        String s = all.toString(StandardCharsets.UTF_8);
        if (s.startsWith("HTTP/1.1 101") && s.endsWith("\r\n\r\n")) {
          break;
        }
      }
      return all.toString(StandardCharsets.UTF_8);
    }
  }

  private static final class Ok extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Responses.text(response, callback, 200, "ok", Map.of());
      return true;
    }
  }
}
