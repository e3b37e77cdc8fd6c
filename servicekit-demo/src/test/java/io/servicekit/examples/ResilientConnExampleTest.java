package io.servicekit.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.WsConfig;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResilientConnExampleTest {
  /**
   * Fake time jumps while real writes may still be in flight; a write timeout shorter than a jump
   * would abort the connection, so the tests that jump keep it out of the way.
   */
  private static final Duration NO_WRITE_TIMEOUT = Duration.ofDays(1);

  private final ResilientConnExample app = new ResilientConnExample(2, Duration.ofMinutes(5));
  private final FakeScheduler time = new FakeScheduler();

  private static void expectDropped(TestWsClient client, int n) {
    Map<String, Object> error = client.awaitJson();
    assertThat(error).containsEntry("type", "error");
    assertThat((String) error.get("error"))
        .startsWith("invalid JSON")
        .endsWith("(message dropped; error " + n + " of 2 tolerated)");
  }

  @Test
  void toleratesInvalidJsonUpToMaxErrorsThenClosesWithTheDecodeErrorsCode() throws Exception {
    try (ServiceKitServer server = app.server(0, WsConfig.defaults()).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(ResilientConnExample.PATH))) {
      client.sendText("{not json");
      expectDropped(client, 1);
      client.sendText("[1,");
      expectDropped(client, 2);

      client.sendText("{\"still\":\"works\"}");
      assertThat(client.awaitText()).isEqualTo("{\"still\":\"works\"}");
      assertThat(client.isClosed()).isFalse();

      client.sendText("third strike");
      TestWsClient.Close close = client.awaitClose();
      assertThat(close.code()).isEqualTo(1007);
      assertThat(close.reason()).startsWith("invalid JSON");
    }
  }

  @Test
  void aQuietErrorWindowRestoresTheBudget() throws Exception {
    WsConfig config =
        WsConfig.builder()
            .pingPeriod(Duration.ofHours(1))
            .pongPeriod(Duration.ofHours(1))
            .writeTimeout(NO_WRITE_TIMEOUT)
            .scheduler(time)
            .build();
    try (ServiceKitServer server = app.server(0, config).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(ResilientConnExample.PATH))) {
      client.sendText("{");
      expectDropped(client, 1);
      client.sendText("{");
      expectDropped(client, 2);

      time.advanceBy(Duration.ofMinutes(5).plusSeconds(1));
      client.sendText("{");
      expectDropped(client, 1);
      client.sendText("{");
      expectDropped(client, 2);
      client.sendText("true");
      assertThat(client.awaitText()).isEqualTo("true");

      client.sendText("{");
      assertThat(client.awaitClose().code()).isEqualTo(1007);
    }
  }

  @Test
  void timeoutWarnsTheClientBeforeClosingWith1001() throws Exception {
    WsConfig config =
        WsConfig.builder()
            .pingPeriod(Duration.ofSeconds(30))
            .pongPeriod(Duration.ofSeconds(60))
            .writeTimeout(NO_WRITE_TIMEOUT)
            .scheduler(time)
            .build();
    try (ServiceKitServer server = app.server(0, config).start();
        TestWsClient client = TestWsClient.connect(server.wsUri(ResilientConnExample.PATH))) {
      // One round trip: the server has opened the connection and armed its timers at t=0.
      client.sendText("{}");
      assertThat(client.awaitText()).isEqualTo("{}");
      time.advanceBy(Duration.ofSeconds(61));
      // Pings at 30 s and 60 s; the timeout falls due at 60 s too and runs on its own thread.
      assertThat(client.awaitJson()).containsEntry("type", "ping").containsEntry("pingId", 1);
      assertThat(client.awaitJsonOfType("timeout_warning"))
          .isEqualTo(
              Map.of(
                  "type", "timeout_warning",
                  "message", "Connection will be closed due to inactivity"));
      TestWsClient.Close close = client.awaitClose();
      assertThat(close.code()).isEqualTo(1001);
      assertThat(close.reason()).contains("heartbeat timeout");
      // At most the 60 s ping may have been written between the warning and the close.
      assertThat(client.drain())
          .allSatisfy(m -> assertThat(m.toString()).contains("\"type\":\"ping\""));
    }
  }

  @Test
  void rejectsNonsensicalSettings() {
    assertThatThrownBy(() -> new ResilientConnExample(-1, Duration.ofMinutes(5)))
        .hasMessage("maxErrors must be >= 0: -1");
    assertThatThrownBy(() -> new ResilientConnExample(3, Duration.ZERO))
        .hasMessage("errorWindow must be positive: PT0S");
  }
}
