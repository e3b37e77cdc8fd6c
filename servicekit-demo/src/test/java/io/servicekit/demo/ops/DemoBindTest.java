package io.servicekit.demo.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.servicekit.WsConfig;
import io.servicekit.demo.DemoServer;
import io.servicekit.jetty.ServiceKitServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code BIND}: the demo listens on 127.0.0.1 unless told otherwise, so another machine cannot
 * reach it and a foreign {@code Host} (DNS rebinding) is refused; {@code BIND=0.0.0.0} serves every
 * interface; a malformed value is refused naming the rule and the value.
 */
class DemoBindTest {
  @Test
  void theDefaultIsLoopbackOnlyWithTheHostCheck() throws Exception {
    DemoOps ops = DemoOps.from(Map.of("RATE_LIMIT_PER_IP", "1000"));
    assertThat(ops.bind()).isEqualTo(DemoOps.DEFAULT_BIND).isEqualTo("127.0.0.1");
    try (ServiceKitServer server = start(ops)) {
      assertThat(server.loopbackHostCheck()).isTrue();
      assertThat(get("127.0.0.1", server.port(), "127.0.0.1:" + server.port()))
          .startsWith("HTTP/1.1 200");
      assertThat(get("127.0.0.1", server.port(), "attacker.example")).startsWith("HTTP/1.1 403");
      Optional<InetAddress> other = nonLoopbackAddress();
      assumeTrue(other.isPresent(), "this machine has no non-loopback IPv4 address to try");
      assertThatThrownBy(() -> get(other.get().getHostAddress(), server.port(), "x"))
          .isInstanceOf(ConnectException.class);
    }
  }

  @Test
  void everyInterfaceWhenAsked() throws Exception {
    DemoOps ops = DemoOps.from(Map.of("RATE_LIMIT_PER_IP", "1000", "BIND", "0.0.0.0"));
    try (ServiceKitServer server = start(ops)) {
      assertThat(server.loopbackHostCheck()).isFalse();
      assertThat(get("127.0.0.1", server.port(), "anything.example")).startsWith("HTTP/1.1 200");
      Optional<InetAddress> other = nonLoopbackAddress();
      assumeTrue(other.isPresent(), "this machine has no non-loopback IPv4 address to try");
      assertThat(get(other.get().getHostAddress(), server.port(), "x")).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void aMalformedValueIsRefused() {
    for (String bad :
        new String[] {
          "",
          " ",
          "127.0.0.1:8080",
          "256.0.0.1",
          "1.2.3",
          "a b",
          "-host",
          "host_name",
          ":::1",
          "a..b"
        }) {
      assertThatThrownBy(() -> DemoOps.from(Map.of("BIND", bad)))
          .as("BIND=%s", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("BIND must be an IP address or a host name")
          .hasMessageContaining("got \"" + bad + "\"");
    }
    assertThat(DemoOps.from(Map.of("BIND", "::1")).bind()).isEqualTo("::1");
    assertThat(DemoOps.from(Map.of("BIND", "::")).bind()).isEqualTo("::");
    assertThat(DemoOps.from(Map.of("BIND", "10.0.0.255")).bind()).isEqualTo("10.0.0.255");
    assertThat(DemoOps.from(Map.of("BIND", " localhost ")).bind()).isEqualTo("localhost");
  }

  private static ServiceKitServer start(DemoOps ops) throws Exception {
    return DemoServer.build(0, WsConfig.defaults().pingPeriod(), ops, null).server().start();
  }

  /** GET /healthz on {@code address} with {@code host} as the Host header; the status line. */
  private static String get(String address, int port, String host) throws IOException {
    try (Socket s = new Socket()) {
      s.setSoTimeout(10_000);
      s.connect(new InetSocketAddress(address, port), 10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      return text.lines().findFirst().orElse("");
    }
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
    return NetworkInterface.networkInterfaces()
        .filter(
            i -> {
              try {
                return i.isUp() && !i.isLoopback();
              } catch (SocketException e) {
                return false;
              }
            })
        .flatMap(NetworkInterface::inetAddresses)
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
        .findFirst();
  }
}
