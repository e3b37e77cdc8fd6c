package io.servicekit.jetty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.ErrorAction;
import io.servicekit.Message;
import io.servicekit.WsConfig;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.TestWsClient;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The connection lifecycle over a real Jetty server and the JDK WebSocket client. */
class WsLifecycleTest {
  private final FakeScheduler time = new FakeScheduler();
  private final BlockingQueue<ProbeConn> accepted = new LinkedBlockingQueue<>();
  private ServiceKitServer server;

  private ServiceKitServer start(WsConfig config) throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/ws",
                request -> {
                  ProbeConn conn = new ProbeConn();
                  accepted.add(conn);
                  return conn;
                },
                config)
            .build()
            .start();
    return server;
  }

  /**
   * Fake time. A jump of the fake clock makes a real write that is still completing look stuck for
   * the whole jump, so tests that are not about the write timeout make it long.
   */
  private WsConfig.Builder fakeTime() {
    return WsConfig.builder().scheduler(time).writeTimeout(Duration.ofDays(1));
  }

  private ServiceKitServer start() throws Exception {
    return start(fakeTime().build());
  }

  /** Fake time without pings in the way, for tests about the pong period. */
  private ServiceKitServer startWithoutPings() throws Exception {
    return start(fakeTime().pingPeriod(Duration.ofDays(1)).build());
  }

  private ProbeConn serverSide() throws InterruptedException {
    ProbeConn conn = accepted.poll(10, TimeUnit.SECONDS);
    assertThat(conn).as("server-side connection").isNotNull();
    await().until(() -> conn.starts.get() == 1);
    return conn;
  }

  private static CloseStatus closedWith(ProbeConn conn) throws Exception {
    return conn.closedWith.get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.stop();
    }
  }

  @ParameterizedTest
  // The JDK client can send only 1000 and 3000-4999; other codes are covered frame by frame in
  // the raw-protocol tests.
  @ValueSource(ints = {1000, 3000, 4000, 4999})
  void anyCloseFrameFromThePeerEndsTheConnectionAndOnCloseRunsOnce(int code) throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    client.close(code, "bye " + code);
    assertThat(closedWith(conn)).isEqualTo(CloseStatus.of(code, "bye " + code));
    assertThat(client.awaitClose().code()).isEqualTo(code);
    server.stop(); // nothing left to close: onClose must not run again
    assertThat(conn.closes.get()).isEqualTo(1);
  }

  @Test
  void aTcpDropEndsTheConnectionWith1006() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    client.abort();
    assertThat(closedWith(conn).code()).isEqualTo(CloseStatus.ABNORMAL);
    assertThat(conn.closes.get()).isEqualTo(1);
  }

  @Test
  void anExceptionFromHandleMessageReachesOnErrorAndClosesWith1011() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    conn.behaviour =
        (c, m) -> {
          throw new IllegalStateException("secret detail");
        };
    client.sendText("{\"a\":1}");
    TestWsClient.Close close = client.awaitClose();
    assertThat(close.code()).isEqualTo(1011);
    assertThat(close.reason()).isEqualTo("internal error").doesNotContain("secret");
    assertThat(conn.errors).singleElement().isInstanceOf(IllegalStateException.class);
    assertThat(closedWith(conn).code()).isEqualTo(1011);
  }

  @Test
  void aCloseExceptionChoosesTheCloseStatus() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    conn.behaviour =
        (c, m) -> {
          throw new CloseException(4001, "not allowed here");
        };
    client.sendText("1");
    assertThat(client.awaitClose()).isEqualTo(new TestWsClient.Close(4001, "not allowed here"));
  }

  @Test
  void invalidJsonClosesWith1007AndNamesTheProblem() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    client.sendText("{not json");
    TestWsClient.Close close = client.awaitClose();
    assertThat(close.code()).isEqualTo(1007);
    assertThat(close.reason()).startsWith("invalid JSON");
    assertThat(conn.messages).isEmpty();
  }

  @Test
  void aBinaryFrameOnAJsonEndpointClosesWith1003() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    serverSide();
    client.sendBinary(new byte[] {1, 2, 3});
    TestWsClient.Close close = client.awaitClose();
    assertThat(close.code()).isEqualTo(1003);
    assertThat(close.reason()).contains("binary");
  }

  @Test
  void whenOnErrorSaysContinueReadingReallyContinues() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    conn.errorAction = ErrorAction.CONTINUE;
    client.sendText("{broken");
    client.sendBinary(new byte[] {1});
    client.sendText("{\"still\":\"alive\"}");
    assertThat(client.awaitJson()).isEqualTo(Map.of("still", "alive"));
    assertThat(conn.errors).hasSize(2);
    assertThat(client.isClosed()).isFalse();
  }

  @Test
  void handleMessageCallsAreSerialOrderedAndOnVirtualThreads() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    conn.behaviour = (c, m) -> Thread.yield();
    for (int i = 0; i < 300; i++) {
      client.sendText(String.valueOf(i));
    }
    await().until(() -> conn.messages.size() == 300);
    List<Object> got = new ArrayList<>(conn.messages);
    for (int i = 0; i < 300; i++) {
      assertThat(got.get(i)).isEqualTo(i);
    }
    assertThat(conn.maxInFlight.get()).isEqualTo(1);
    assertThat(conn.callbackThreads).containsOnly("virtual");
  }

  @Test
  void aBlockedHandlerStallsNeitherTheHeartbeatNorOtherConnections() throws Exception {
    start();
    TestWsClient blocked = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn blockedConn = serverSide();
    TestWsClient other = TestWsClient.connect(server.wsUri("/ws"));
    serverSide();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    blockedConn.behaviour =
        (c, m) -> {
          entered.countDown();
          release.await();
        };
    blocked.sendText("\"block\"");
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();

    time.advanceBy(Duration.ofSeconds(30));
    assertThat(blocked.awaitJson()).containsEntry("type", "ping").containsEntry("pingId", 1);
    assertThat(other.awaitJson()).containsEntry("type", "ping");
    other.sendText("\"independent\"");
    assertThat(other.awaitText()).isEqualTo("\"independent\"");

    release.countDown();
    blockedConn.behaviour = (c, m) -> c.send(m);
    blocked.sendText("\"after\"");
    assertThat(blocked.awaitText()).isEqualTo("\"after\"");
  }

  @Test
  void pingsAreSentEveryPingPeriodInTheGoWireFormat() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    time.advanceBy(Duration.ofSeconds(29));
    client.sendText("\"probe\"");
    assertThat(client.awaitText()).as("no ping before 30 s").isEqualTo("\"probe\"");
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(client.awaitText())
        .isEqualTo(
            "{\"connId\":\""
                + conn.session().id()
                + "\",\"name\":\"Probe\",\"pingId\":1,\"type\":\"ping\"}");
    time.advanceBy(Duration.ofSeconds(30));
    assertThat(client.awaitJson()).containsEntry("pingId", 2);
    assertThat(conn.lastPingId.get()).isEqualTo(2);
  }

  @Test
  void clientJsonPongsAreAbsorbedAndCountAsLiveness() throws Exception {
    startWithoutPings();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    time.advanceBy(Duration.ofSeconds(200));
    client.sendText("{\"type\":\"pong\",\"pingId\":1}");
    client.sendText("\"probe\""); // serial: handled after the pong has been taken in
    assertThat(client.awaitText()).isEqualTo("\"probe\"");
    assertThat(conn.messages).containsExactly("probe");
    time.advanceBy(Duration.ofSeconds(200)); // 200 s after the last read: no timeout
    client.sendText("\"probe2\"");
    assertThat(client.awaitText()).isEqualTo("\"probe2\"");
    assertThat(conn.timeouts.get()).isZero();
  }

  @Test
  void protocolPongsCountAsLiveness() throws Exception {
    startWithoutPings();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    time.advanceBy(Duration.ofSeconds(299));
    client.sendPong(new byte[] {7});
    client.sendPing(new byte[] {8}); // answered by the server after the pong was read
    await().until(() -> client.pongsReceived() == 1);
    time.advanceBy(Duration.ofSeconds(2)); // past 300 s since start, 3 s since the pong
    client.sendText("\"probe\"");
    assertThat(client.awaitText()).isEqualTo("\"probe\"");
    assertThat(conn.timeouts.get()).isZero();
  }

  @Test
  void clientJsonPingsReachTheApplication() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    client.sendText("{\"type\":\"ping\",\"pingId\":1}");
    assertThat(client.awaitJson()).isEqualTo(Map.of("type", "ping", "pingId", 1));
    assertThat(conn.messages).hasSize(1);
  }

  @Test
  void onTimeoutFiresAfterThePongPeriodOfSilenceAndClosesWith1001() throws Exception {
    startWithoutPings();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    time.advanceBy(Duration.ofSeconds(299));
    client.sendText("\"probe\""); // handled after any timeout callback: callbacks are serial
    assertThat(client.awaitText()).isEqualTo("\"probe\"");
    assertThat(conn.timeouts.get()).isZero();
    time.advanceBy(Duration.ofSeconds(299)); // 299 s after the probe
    client.sendText("\"probe2\"");
    assertThat(client.awaitText()).isEqualTo("\"probe2\"");
    assertThat(conn.timeouts.get()).isZero();
    time.advanceBy(Duration.ofSeconds(300));
    TestWsClient.Close close = client.awaitClose();
    assertThat(close.code()).isEqualTo(1001);
    assertThat(close.reason()).contains("heartbeat timeout");
    assertThat(closedWith(conn).code()).isEqualTo(1001);
    // onTimeout ran before the close (callbacks are serial; onClose completed closedWith)
    assertThat(conn.timeouts.get()).isEqualTo(1);
  }

  @Test
  void programmaticCloseSendsTheCodeAndReasonAndSendAfterCloseReturnsFalse() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    conn.behaviour =
        (c, m) -> {
          c.send("last words");
          c.close(4002, "done");
        };
    client.sendText("\"bye\"");
    assertThat(client.awaitText()).isEqualTo("\"last words\"");
    assertThat(client.awaitClose()).isEqualTo(new TestWsClient.Close(4002, "done"));
    assertThat(closedWith(conn)).isEqualTo(CloseStatus.of(4002, "done"));
    assertThat(conn.session().send("too late")).isFalse();
    assertThat(conn.session().sendError("too late")).isFalse();
    assertThat(conn.session().isOpen()).isFalse();
  }

  @Test
  void aFailingOnStartClosesWith1011AndStillRunsOnClose() throws Exception {
    server =
        ServiceKitServer.builder()
            .port(0)
            .ws(
                "/ws",
                request -> {
                  ProbeConn conn = new ProbeConn();
                  conn.failOnStart = new IllegalStateException("boom");
                  accepted.add(conn);
                  return conn;
                },
                fakeTime().build())
            .build()
            .start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    assertThat(client.awaitClose().code()).isEqualTo(1011);
    assertThat(closedWith(conn).code()).isEqualTo(1011);
    assertThat(conn.closes.get()).isEqualTo(1);
  }

  @Test
  void errorEnvelopesBypassTheCodec() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    conn.behaviour = (c, m) -> c.sendError("unknown message type: x");
    client.sendText("{}");
    assertThat(client.awaitText())
        .isEqualTo("{\"error\":\"unknown message type: x\",\"type\":\"error\"}");
  }

  @Test
  void aSlowConsumerIsClosedWith1008WhileSendNeverBlocks() throws Exception {
    start(fakeTime().maxQueuedBytes(256 * 1024).closeTimeout(Duration.ofMillis(200)).build());
    try (Socket stalled = RawUpgrade.stalledClient(server.uri(), "/ws")) {
      ProbeConn conn = serverSide();
      String chunk = "x".repeat(16 * 1024);
      int accepted = 0;
      for (int i = 0; i < 1000 && conn.session().send(chunk); i++) {
        accepted++;
      }
      assertThat(accepted).as("sends refused once the budget is spent").isLessThan(1000);
      assertThat(conn.session().send(chunk)).isFalse();
      time.advanceBy(Duration.ofSeconds(1)); // close timeout: the close frame cannot get out
      CloseStatus status = conn.closedWith.get(10, TimeUnit.SECONDS);
      assertThat(status.code()).isEqualTo(1008);
      assertThat(status.reason()).contains("slow consumer");
    }
  }

  @Test
  void aWriteThatMakesNoProgressIsAbortedAfterTheWriteTimeout() throws Exception {
    start(
        WsConfig.builder()
            .scheduler(time)
            .maxQueuedBytes(64L << 20)
            .writeTimeout(Duration.ofSeconds(5))
            .build());
    try (Socket stalled = RawUpgrade.stalledClient(server.uri(), "/ws")) {
      ProbeConn conn = serverSide();
      String chunk = "y".repeat(64 * 1024);
      for (int i = 0; i < 200; i++) {
        assertThat(conn.session().send(chunk)).isTrue();
      }
      // The socket buffers fill and the writer is stuck on one frame.
      await().until(() -> conn.session().queuedBytes() > 1 << 20);
      time.advanceBy(Duration.ofSeconds(4));
      assertThat(conn.session().isOpen()).isTrue();
      time.advanceBy(Duration.ofSeconds(2));
      CloseStatus status = conn.closedWith.get(10, TimeUnit.SECONDS);
      assertThat(status.code()).isEqualTo(1008);
      assertThat(status.reason()).contains("write timeout");
    }
  }

  @Test
  void frameSendsOfBothTypesAreWrittenInOrder() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/ws"));
    ProbeConn conn = serverSide();
    conn.behaviour =
        (c, m) -> {
          c.sendMessage(Message.binary(new byte[] {1}));
          c.sendMessage(Message.text("t"));
          c.sendMessage(Message.binary(new byte[] {2}));
        };
    client.sendText("0");
    assertThat(client.awaitBinary()).containsExactly(1);
    assertThat(client.awaitText()).isEqualTo("t");
    assertThat(client.awaitBinary()).containsExactly(2);
  }
}
