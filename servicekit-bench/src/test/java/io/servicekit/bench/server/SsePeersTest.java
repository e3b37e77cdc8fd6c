package io.servicekit.bench.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.Hub;
import io.servicekit.Message;
import io.servicekit.bench.client.BroadcastLoad;
import io.servicekit.bench.client.SseLoadClient;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.sse.SseHub;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * The SSE peers of the benchmark and its load client against each other, in process: every event
 * broadcast reaches every stream, and streams whose client went away leave the server.
 */
class SsePeersTest {
  private static final int STREAMS = 20;
  private static final int EVENTS = 10;

  private static void broadcastToAll(int port, Consumer<String> publish, IntSupplier open)
      throws Exception {
    try (SseLoadClient client = new SseLoadClient()) {
      List<SseLoadClient.Stream> streams =
          client.connect(new InetSocketAddress("127.0.0.1", port), "/sse", STREAMS, 4);
      assertThat(streams).hasSize(STREAMS);
      await().atMost(Duration.ofSeconds(30)).until(() -> open.getAsInt() == STREAMS);
      BroadcastLoad load = new BroadcastLoad(1, EVENTS, STREAMS);
      client.handler(load.sseHandler());
      BroadcastLoad.Result r =
          load.run(
              (payload, len) ->
                  publish.accept(new String(payload, 0, len, StandardCharsets.US_ASCII)),
              50,
              30_000);
      assertThat(r.delivered()).isEqualTo((long) STREAMS * EVENTS);
      assertThat(r.incomplete()).isZero();
      assertThat(client.protocolErrors()).isZero();
      assertThat(client.closedByPeer()).isZero();
      for (SseLoadClient.Stream s : streams) {
        s.close();
      }
      // A server may learn that a client left only when a write to it fails.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                publish.accept("{\"type\":\"flush\"}");
                return open.getAsInt() == 0;
              });
    }
  }

  @Test
  void rawJettyStreamsReceiveEveryBroadcast() throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    JettyRawServer.RawSse sse = new JettyRawServer.RawSse();
    server.setHandler(sse);
    server.start();
    try {
      broadcastToAll(connector.getLocalPort(), sse::broadcast, sse::size);
    } finally {
      server.stop();
    }
  }

  @Test
  void rawNettyStreamsReceiveEveryBroadcast() throws Exception {
    try (NettyRawServer server = NettyRawServer.start(0)) {
      broadcastToAll(server.port(), server::publish, server::streams);
    }
  }

  @Test
  void serviceKitStreamsReceiveEveryBroadcast() throws Exception {
    SseHub<Message> hub = new SseHub<>();
    ServiceKitServer server = ServiceKitBenchServer.start(0, new Hub<>(), hub);
    try {
      broadcastToAll(server.port(), text -> hub.broadcast(Message.text(text)), hub::count);
    } finally {
      server.stop();
    }
  }
}
