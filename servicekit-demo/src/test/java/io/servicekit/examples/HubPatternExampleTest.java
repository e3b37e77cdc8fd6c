package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.TestWsClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HubPatternExampleTest {
  private final HubPatternExample hub = new HubPatternExample();

  @Test
  void relaysToEveryoneButTheSenderAndForgetsClosedClients() throws Exception {
    try (ServiceKitServer server = hub.server(0, WsConfig.defaults()).start();
        TestWsClient a = TestWsClient.connect(server.wsUri(HubPatternExample.PATH));
        TestWsClient b = TestWsClient.connect(server.wsUri(HubPatternExample.PATH))) {
      TestWsClient c = TestWsClient.connect(server.wsUri(HubPatternExample.PATH));
      await().until(() -> hub.clients() == 3);

      a.sendText("{\"from\":\"a\"}");
      assertThat(b.awaitText()).isEqualTo("{\"from\":\"a\"}");
      assertThat(c.awaitText()).isEqualTo("{\"from\":\"a\"}");

      // The server's own broadcast reaches everyone; it is a's first message: a's was not echoed.
      assertThat(hub.broadcast(Map.of("type", "notice"))).isEqualTo(3);
      for (TestWsClient client : new TestWsClient[] {a, b, c}) {
        assertThat(client.awaitJson()).isEqualTo(Map.of("type", "notice"));
      }

      c.close();
      await().until(() -> hub.clients() == 2);
      assertThat(hub.broadcast(Map.of("type", "bye"))).isEqualTo(2);
      assertThat(a.awaitJson()).isEqualTo(Map.of("type", "bye"));
      assertThat(b.awaitJson()).isEqualTo(Map.of("type", "bye"));
    }
  }
}
