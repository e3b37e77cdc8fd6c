package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Codec;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void echoesTextAndBinaryAndSendsJsonPings() throws Exception {
    FakeScheduler time = new FakeScheduler();
    WsConfig config = WsConfig.builder().scheduler(time).writeTimeout(Duration.ofDays(1)).build();
    try (ServiceKitServer server =
            ServiceKitServer.builder()
                .port(0)
                .ws(
                    "/echo",
                    r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)),
                    config)
                .build()
                .start();
        TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      client.sendText("hello");
      assertThat(client.awaitText()).isEqualTo("hello");
      client.sendBinary(new byte[] {1, 2, 3});
      assertThat(client.awaitBinary()).containsExactly(1, 2, 3);
      client.sendPing(new byte[] {9});
      client.sendText("after-ping");
      assertThat(client.awaitText()).isEqualTo("after-ping");
      time.advanceBy(Duration.ofSeconds(30));
      var ping = client.awaitJson();
      assertThat(ping)
          .containsEntry("type", "ping")
          .containsEntry("pingId", 1)
          .containsEntry("name", "Echo");
      client.sendText("{\"type\":\"pong\",\"pingId\":1}");
      client.sendText("x");
      assertThat(client.awaitText()).isEqualTo("x");
      assertThat(client.pongsReceived()).isEqualTo(1);
      client.close(1000, "bye");
      assertThat(client.awaitClose().code()).isEqualTo(1000);
    }
  }
}
