package io.servicekit.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.WsConfig;
import io.servicekit.demo.ops.DemoOps;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /echo} stays outside the guard (any origin, any rate) but has its per-address connection
 * limit: the extra WebSocket from one address is refused with the guard's 503, the count is shared
 * with the guarded routes, and closing one frees a slot.
 */
class EchoConnLimitTest {
  private static final int LIMIT = 3;

  private final List<TestWsClient> clients = new ArrayList<>();
  private ServiceKitServer server;
  private DemoOps ops;

  @BeforeEach
  void start() throws Exception {
    ops = DemoOps.from(Map.of("RATE_LIMIT_PER_IP", "1000", "CONN_LIMIT_PER_IP", "" + LIMIT));
    server = DemoServer.build(0, WsConfig.defaults().pingPeriod(), ops, null).server().start();
  }

  @AfterEach
  void stop() throws Exception {
    clients.forEach(TestWsClient::abort);
    server.stop();
  }

  @Test
  void theConnectionBeyondThePerAddressLimitIsRefusedAndClosingOneFreesASlot() {
    for (int i = 0; i < LIMIT; i++) {
      clients.add(TestWsClient.connect(server.wsUri("/echo")));
    }
    clients.get(0).sendText("hi");
    assertThat(clients.get(0).awaitText()).isEqualTo("hi");

    assertThatThrownBy(() -> clients.add(TestWsClient.connect(server.wsUri("/echo"))))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class,
            f -> {
              assertThat(f.status()).isEqualTo(503);
              assertThat(f.body())
                  .contains("too many connections from 127.0.0.1 (max 3 per address)");
            });
    // The same limiter as the guarded routes: a chat connection from this address is refused alike.
    assertThatThrownBy(() -> TestWsClient.connect(server.wsUri("/ws/chat?username=ann")))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class, f -> assertThat(f.status()).isEqualTo(503));

    clients.remove(0).close(1000, "bye");
    TestWsClient again =
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreException(TestWsClient.HandshakeFailed.class)
            .until(() -> TestWsClient.connect(server.wsUri("/echo")), c -> c != null);
    clients.add(again);
    again.sendText("back");
    assertThat(again.awaitText()).isEqualTo("back");
    assertThat(ops.connLimitPerIp().active("127.0.0.1")).isEqualTo(LIMIT);
  }

  @Test
  void maxConnectionsCapsAllClientsTogetherAndIsValidated() throws Exception {
    server.stop();
    ops = DemoOps.from(Map.of("RATE_LIMIT_PER_IP", "1000", "MAX_CONNECTIONS", "2"));
    server = DemoServer.build(0, WsConfig.defaults().pingPeriod(), ops, null).server().start();
    clients.add(TestWsClient.connect(server.wsUri("/echo")));
    clients.add(TestWsClient.connect(server.wsUri("/echo")));
    assertThatThrownBy(() -> clients.add(TestWsClient.connect(server.wsUri("/echo"))))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class,
            f -> {
              assertThat(f.status()).isEqualTo(503);
              assertThat(f.body()).contains("too many connections");
            });
    for (String bad : new String[] {"0", "-1", "many"}) {
      assertThatThrownBy(() -> DemoOps.from(Map.of("MAX_CONNECTIONS", bad)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("MAX_CONNECTIONS must be a positive whole number, got \"" + bad + "\"");
    }
  }
}
