package io.servicekit.bench.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.Hub;
import io.servicekit.Message;
import io.servicekit.bench.client.BroadcastLoad;
import io.servicekit.bench.client.EchoLoad;
import io.servicekit.bench.client.WsLoadClient;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseHub;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket load client against the ServiceKit bench server, in process: handshakes in
 * parallel, every echo and every broadcast copy comes back through the selector's read loop, and a
 * refused handshake names the target.
 */
class WsEchoPeersTest {
  private static final int CONNECTIONS = 20;

  @Test
  void echoesAndBroadcastsReachTheClientAndARefusedUpgradeIsNamed() throws Exception {
    Hub<Message> hub = new Hub<>();
    ServiceKitServer server = ServiceKitBenchServer.start(0, hub, new SseHub<>());
    InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
    try (WsLoadClient client = new WsLoadClient()) {
      List<WsLoadClient.Conn> conns = client.connect(address, "/echo", CONNECTIONS, 4, true, 0);
      assertThat(conns).extracting(c -> c.id).isSorted().doesNotHaveDuplicates();
      assertThat(conns).hasSize(CONNECTIONS).allMatch(WsLoadClient.Conn::isOpen);
      EchoLoad echo = new EchoLoad(1, conns);
      client.handler(echo.handler());
      EchoLoad.Result r = echo.run(200, 1, 30_000);
      assertThat(r.sent()).isEqualTo(200);
      assertThat(r.received()).isEqualTo(200);
      assertThat(r.lost()).isZero();
      assertThat(r.duplicates()).isZero();

      List<WsLoadClient.Conn> subscribers =
          client.connect(address, "/broadcast", CONNECTIONS, 4, true, 0);
      await().atMost(Duration.ofSeconds(30)).until(() -> hub.size() == CONNECTIONS);
      BroadcastLoad broadcast = new BroadcastLoad(2, 10, CONNECTIONS);
      client.handler(broadcast.handler());
      BroadcastLoad.Result b = broadcast.run(subscribers.get(0), 50, 30_000);
      assertThat(b.delivered()).isEqualTo(10L * CONNECTIONS);
      assertThat(b.incomplete()).isZero();

      assertThatThrownBy(() -> client.connect(address, "/nope", 2, 2, true, 0))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("connecting to ws://127.0.0.1:" + server.port() + "/nope failed:")
          .hasMessageContaining("upgrade refused");
      assertThat(client.protocolErrors()).isZero();
      assertThat(client.closedByPeer()).isZero();
      for (WsLoadClient.Conn c : conns) {
        c.close();
      }
      for (WsLoadClient.Conn c : subscribers) {
        c.close();
      }
    } finally {
      server.stop();
    }
  }
}
