package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CustomPingPongExampleTest {
  private static final long NOW = 1_735_689_600L;

  private record Pong(String connId, long pingId, Duration latency) {}

  private final BlockingQueue<Pong> pongs = new LinkedBlockingQueue<>();
  private final FakeScheduler time = new FakeScheduler();
  // Fake time jumps while real writes may still be in flight: keep the write timeout out of the
  // way.
  private final WsConfig config =
      CustomPingPongExample.config(time).toBuilder().writeTimeout(Duration.ofDays(1)).build();
  private final CustomPingPongExample app =
      new CustomPingPongExample(
          InstantSource.fixed(Instant.ofEpochSecond(NOW)),
          (connId, pingId, latency) -> pongs.add(new Pong(connId, pingId, latency)));

  /**
   * One round trip, so the server has opened the connection (and scheduled its heartbeat on the
   * fake clock) before the test moves time: {@code connect} returns as soon as the client has the
   * 101 response.
   */
  private static void roundTrip(TestWsClient client) {
    client.sendText("{\"type\":\"ping\",\"pingId\":0}");
    assertThat(client.awaitJson()).containsEntry("type", "pong").containsEntry("pingId", 0);
  }

  private Pong awaitPong() throws InterruptedException {
    Pong pong = pongs.poll(10, TimeUnit.SECONDS);
    assertThat(pong).as("latency reported").isNotNull();
    return pong;
  }

  @Test
  void configDeliversPongsToTheConnection() {
    assertThat(config.pingPeriod()).isEqualTo(Duration.ofSeconds(25));
    assertThat(config.pongPeriod()).isEqualTo(Duration.ofSeconds(60));
    assertThat(config.absorbPongs()).isFalse();
    assertThat(config.scheduler()).isSameAs(time);
  }

  @Test
  void answersClientPingsAndPassesOtherMessagesToTheBusinessLogic() throws Exception {
    try (ServiceKitServer server = app.server(0, config).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(CustomPingPongExample.PATH))) {
      client.sendText("{\"type\":\"ping\",\"pingId\":7}");
      assertThat(client.awaitJson())
          .containsExactlyInAnyOrderEntriesOf(
              Map.of("type", "pong", "pingId", 7, "timestamp", (int) NOW));
      client.sendText("{\"type\":\"order\",\"qty\":3}");
      assertThat(client.awaitText()).isEqualTo("{\"type\":\"order\",\"qty\":3}");
    }
  }

  @Test
  void sendsItsOwnPingFormatAndMeasuresLatencyOnTheSchedulerClock() throws Exception {
    try (ServiceKitServer server = app.server(0, config).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(CustomPingPongExample.PATH))) {
      roundTrip(client);
      time.advanceBy(Duration.ofSeconds(25));
      Map<String, Object> ping = client.awaitJson();
      assertThat(ping.keySet()).containsExactlyInAnyOrder("type", "pingId", "timestamp", "connId");
      assertThat(ping)
          .containsEntry("type", "ping")
          .containsEntry("pingId", 1)
          .containsEntry("timestamp", (int) NOW);
      String connId = (String) ping.get("connId");
      assertThat(connId).matches("[0-9a-f]{32}");

      time.advanceBy(Duration.ofSeconds(3));
      client.sendText("{\"type\":\"pong\",\"pingId\":1}");
      assertThat(awaitPong()).isEqualTo(new Pong(connId, 1, Duration.ofSeconds(3)));

      // A pong for a ping that is not the latest is ignored; one without a pingId is an error.
      client.sendText("{\"type\":\"pong\",\"pingId\":99}");
      client.sendText("{\"type\":\"pong\"}");
      assertThat(client.awaitJson())
          .containsEntry("type", "error")
          .containsEntry("error", "a pong needs a numeric \"pingId\", got null");
      assertThat(pongs).isEmpty();
      assertThat(client.isClosed()).isFalse();
    }
  }

  @Test
  void pongsCountAsLivenessAndSilenceTimesOutWith1001() throws Exception {
    try (ServiceKitServer server = app.server(0, config).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(CustomPingPongExample.PATH))) {
      roundTrip(client);
      time.advanceBy(Duration.ofSeconds(25));
      assertThat(client.awaitJson()).containsEntry("pingId", 1);
      time.advanceBy(Duration.ofSeconds(3));
      client.sendText("{\"type\":\"pong\",\"pingId\":1}");
      awaitPong(); // processed at t=28s: the connection is silent from here on

      // t=87s: 59 s of silence, still open and pinging (pings at 50 s and 75 s).
      time.advanceBy(Duration.ofSeconds(59));
      assertThat(client.awaitJson()).containsEntry("pingId", 2);
      assertThat(client.awaitJson()).containsEntry("pingId", 3);
      assertThat(client.isClosed()).isFalse();

      // t=88s: 60 s of silence.
      time.advanceBy(Duration.ofSeconds(1));
      TestWsClient.Close close = client.awaitClose();
      assertThat(close.code()).isEqualTo(1001);
      assertThat(close.reason()).contains("heartbeat timeout");
    }
  }
}
