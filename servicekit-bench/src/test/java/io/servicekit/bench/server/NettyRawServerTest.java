package io.servicekit.bench.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.bench.client.BroadcastLoad;
import io.servicekit.bench.client.EchoLoad;
import io.servicekit.bench.client.WsLoadClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The raw Netty peer against the benchmark's WebSocket load client, in process (on two event loops
 * when the machine has two CPUs, so broadcasts also cross loops): echo on both echo paths,
 * broadcast to every subscriber, the fill request answered to its sender alone, and a clear refusal
 * of what it does not serve.
 */
class NettyRawServerTest {
  private static final int CONNECTIONS = 20;

  @Test
  void echoesOnBothEchoPathsWithNothingLost() throws Exception {
    try (NettyRawServer server = NettyRawServer.start(0);
        WsLoadClient client = new WsLoadClient()) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
      int run = 1;
      for (String path : List.of("/echo", "/json")) {
        long closedBefore = client.closedByPeer(); // the previous path's conns are closed
        List<WsLoadClient.Conn> conns = client.connect(address, path, CONNECTIONS, 4, true, 0);
        assertThat(conns).hasSize(CONNECTIONS).allMatch(WsLoadClient.Conn::isOpen);
        EchoLoad echo = new EchoLoad(run++, conns);
        client.handler(echo.handler());
        EchoLoad.Result r = echo.run(200, 1, 30_000);
        assertThat(r.sent()).as(path).isEqualTo(200);
        assertThat(r.received()).as(path).isEqualTo(200);
        assertThat(r.lost()).as(path).isZero();
        assertThat(r.duplicates()).as(path).isZero();
        assertThat(r.foreign()).as(path).isZero();
        assertThat(client.protocolErrors()).as(path).isZero();
        // Before closing: the server's answer to a client's close frame may be read (and counted)
        // before the client drops the socket.
        assertThat(client.closedByPeer() - closedBefore).as(path).isZero();
        for (WsLoadClient.Conn c : conns) {
          c.close();
        }
      }
      assertThat(server.transport()).isIn("epoll", "nio");
    }
  }

  @Test
  void broadcastsReachEverySubscriberAndSubscribersLeaveOnClose() throws Exception {
    try (NettyRawServer server = NettyRawServer.start(0);
        WsLoadClient client = new WsLoadClient()) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
      List<WsLoadClient.Conn> subscribers =
          client.connect(address, "/broadcast", CONNECTIONS, 4, true, 0);
      await().atMost(Duration.ofSeconds(30)).until(() -> server.subscribers() == CONNECTIONS);
      BroadcastLoad broadcast = new BroadcastLoad(1, 10, CONNECTIONS);
      client.handler(broadcast.handler());
      BroadcastLoad.Result b = broadcast.run(subscribers.get(0), 50, 30_000);
      assertThat(b.broadcasts()).isEqualTo(10);
      assertThat(b.delivered()).isEqualTo(10L * CONNECTIONS);
      assertThat(b.lostDeliveries()).isZero();
      assertThat(b.incomplete()).isZero();
      assertThat(client.protocolErrors()).isZero();
      for (WsLoadClient.Conn c : subscribers) {
        c.close();
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> server.subscribers() == 0);
    }
  }

  @Test
  void theFillRequestGoesToItsSenderAloneAndIsNotBroadcast() throws Exception {
    byte[] marker = "{\"type\":\"marker\"}".getBytes(StandardCharsets.US_ASCII);
    byte[] fill = ServerControl.FILL_REQUEST.getBytes(StandardCharsets.US_ASCII);
    try (NettyRawServer server = NettyRawServer.start(0);
        WsLoadClient client = new WsLoadClient()) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
      Map<Integer, AtomicInteger> chunks = new ConcurrentHashMap<>();
      Map<Integer, AtomicInteger> markers = new ConcurrentHashMap<>();
      Map<Integer, AtomicInteger> other = new ConcurrentHashMap<>();
      client.handler(
          (c, buf, off, len, nanos) -> {
            String text = new String(buf, off, len, StandardCharsets.US_ASCII);
            Map<Integer, AtomicInteger> kind =
                text.equals(ServerControl.FILL_CHUNK)
                    ? chunks
                    : text.equals("{\"type\":\"marker\"}") ? markers : other;
            kind.computeIfAbsent(c.id, k -> new AtomicInteger()).incrementAndGet();
          });
      List<WsLoadClient.Conn> conns = client.connect(address, "/broadcast", 2, 2, true, 0);
      await().atMost(Duration.ofSeconds(30)).until(() -> server.subscribers() == 2);
      WsLoadClient.Conn sender = conns.get(0);
      WsLoadClient.Conn bystander = conns.get(1);
      sender.sendText(fill, fill.length);
      sender.sendText(marker, marker.length); // broadcast, after the fill on every channel
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  count(markers, sender) == 1
                      && count(markers, bystander) == 1
                      && count(chunks, sender) == ServerControl.FILL_CHUNKS);
      assertThat(count(chunks, bystander)).isZero();
      assertThat(other).isEmpty();
      assertThat(client.protocolErrors()).isZero();
    }
  }

  private static int count(Map<Integer, AtomicInteger> counts, WsLoadClient.Conn c) {
    AtomicInteger n = counts.get(c.id);
    return n == null ? 0 : n.get();
  }

  @Test
  void anUnknownPathIsA404AndAPlainGetOnAWebSocketPathA400() throws Exception {
    try (NettyRawServer server = NettyRawServer.start(0);
        WsLoadClient client = new WsLoadClient()) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
      assertThatThrownBy(() -> client.connect(address, "/nope", 2, 2, true, 0))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("connecting to ws://127.0.0.1:" + server.port() + "/nope failed:")
          .hasMessageContaining("upgrade refused: HTTP/1.1 404 Not Found");
      assertThat(plainGet(server.port(), "/echo")).startsWith("HTTP/1.1 400 Bad Request");
      assertThat(plainGet(server.port(), "/nope"))
          .startsWith("HTTP/1.1 404 Not Found")
          .endsWith("no endpoint at /nope\n");
    }
  }

  /** The whole answer to a plain {@code GET path} (the server closes the connection after it). */
  private static String plainGet(int port, String path) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
  }
}
