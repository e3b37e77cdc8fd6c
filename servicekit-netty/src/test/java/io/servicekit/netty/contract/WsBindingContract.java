package io.servicekit.netty.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.CloseStatus;
import io.servicekit.Message;
import io.servicekit.Rejection;
import io.servicekit.WsConfig;
import io.servicekit.WsSession;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.RawFrame;
import io.servicekit.testkit.RawWsClient;
import io.servicekit.testkit.TestWsClient;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The WebSocket binding contract: what every server binding does the same over real sockets, with
 * the test kit's clients. A binding's test class extends this and returns its {@link WsBinding};
 * the same tests then run against Jetty (the reference) and Netty.
 *
 * <p>Routes: {@code /echo} (a {@link Probe} per connection, fake time, message limit {@link
 * #LIMIT}, subprotocols {@code chat.v2} then {@code chat.v1}), {@code /auth} (401 unless {@code
 * ?token=letmein}) and {@code /rooms/{room}}.
 */
public abstract class WsBindingContract {
  /** Message size limit of {@code /echo}. */
  protected static final int LIMIT = 100 * 1024;

  private final FakeScheduler time = new FakeScheduler();
  private final BlockingQueue<Probe> accepted = new LinkedBlockingQueue<>();
  private WsBinding.Running server;

  /** The binding under test. */
  protected abstract WsBinding binding();

  private WsBinding.Running start() throws Exception {
    return start(b -> b);
  }

  private WsBinding.Running start(java.util.function.UnaryOperator<WsConfig.Builder> tune)
      throws Exception {
    // Fake time. A jump of the fake clock makes a real write that is still completing look stuck
    // for the whole jump, so the write timeout is long.
    WsConfig echo =
        tune.apply(
                WsConfig.builder()
                    .scheduler(time)
                    .writeTimeout(Duration.ofDays(1))
                    .maxMessageSize(LIMIT)
                    .closeTimeout(Duration.ofSeconds(5))
                    .subprotocols(List.of("chat.v2", "chat.v1")))
            .build();
    server =
        binding()
            .server()
            .ws("/echo", request -> track(new Probe()), echo)
            .ws(
                "/auth",
                request -> {
                  if (!request.queryParam("token").orElse("").equals("letmein")) {
                    throw Rejection.of(401, "missing or wrong token")
                        .header("WWW-Authenticate", "Bearer realm=\"servicekit\"");
                  }
                  return track(new Probe());
                },
                WsConfig.defaults())
            .ws("/rooms/{room}", request -> track(new Probe()), WsConfig.defaults())
            .start();
    return server;
  }

  private Probe track(Probe probe) {
    accepted.add(probe);
    return probe;
  }

  private Probe serverSide() throws Exception {
    Probe probe = accepted.poll(10, TimeUnit.SECONDS);
    assertThat(probe).as("server-side connection").isNotNull();
    probe.session();
    return probe;
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  // ------------------------------------------------------------------ messages

  @Test
  void textAndBinaryMessagesAreEchoedInOrder() throws Exception {
    start();
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      serverSide();
      client.sendText("hello");
      client.sendBinary(new byte[] {1, 2, 3});
      client.sendText("é and 😀");
      assertThat(client.awaitText()).isEqualTo("hello");
      assertThat(client.awaitBinary()).containsExactly(1, 2, 3);
      assertThat(client.awaitText()).isEqualTo("é and 😀");
    }
  }

  @Test
  void aFragmentedMessageArrivesWhole() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      client.send(
          RawFrame.text("frag").fin(false),
          RawFrame.ping(new byte[] {9}),
          RawFrame.continuation("men".getBytes(StandardCharsets.UTF_8)).fin(false),
          RawFrame.continuation("ted".getBytes(StandardCharsets.UTF_8)));
      assertThat(client.awaitText()).isEqualTo("fragmented");
      assertThat(probe.messages).containsExactly(Message.text("fragmented"));
    }
  }

  @Test
  void aMessageOfExactlyTheLimitPasses() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      serverSide();
      byte[] full = new byte[LIMIT];
      Arrays.fill(full, (byte) 7);
      client.sendBinary(full);
      assertThat(client.awaitBinary()).isEqualTo(full);
    }
  }

  @Test
  void theRequestCarriesPathParamsQueryHeadersAndTheRemoteAddress() throws Exception {
    start();
    try (TestWsClient client =
        TestWsClient.builder(server.wsUri("/rooms/blue%20room?x=1&x=2&y=%C3%A9"))
            .header("X-Trace", "abc")
            .connect()) {
      WsSession<Message> session = serverSide().session();
      var request = session.request();
      assertThat(request.method()).isEqualTo("GET");
      assertThat(request.path()).isEqualTo("/rooms/blue room");
      assertThat(request.pathParams()).isEqualTo(Map.of("room", "blue room"));
      assertThat(request.queryParams()).containsEntry("x", List.of("1", "2"));
      assertThat(request.queryParam("y")).contains("é");
      assertThat(request.header("x-trace")).contains("abc");
      assertThat(request.host()).isEqualTo(server.uri().getAuthority());
      assertThat(request.remoteAddress().getAddress()).isEqualTo(InetAddress.getLoopbackAddress());
      client.sendText("ok");
      assertThat(client.awaitText()).isEqualTo("ok");
    }
  }

  // ------------------------------------------------------------------ handshake

  @Test
  void aRejectionIsAnsweredWithItsStatusHeadersAndBodyAndNothingOpens() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      RawWsClient.Response r = client.upgrade(RawWsClient.Upgrade.to(server.wsUri("/auth")));
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.header("WWW-Authenticate")).contains("Bearer realm=\"servicekit\"");
      assertThat(r.bodyText()).isEqualTo("missing or wrong token");
    }
    assertThat(accepted).isEmpty();
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/auth?token=letmein"))) {
      serverSide();
      client.sendText("in");
      assertThat(client.awaitText()).isEqualTo("in");
    }
  }

  @Test
  void theJdkClientSeesTheRejectionStatus() throws Exception {
    start();
    assertThatThrownBy(() -> TestWsClient.connect(server.wsUri("/auth")))
        .isInstanceOfSatisfying(
            TestWsClient.HandshakeFailed.class, e -> assertThat(e.status()).isEqualTo(401));
  }

  @Test
  void anUnknownPathIsAnswered404() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      RawWsClient.Response r = client.upgrade(RawWsClient.Upgrade.to(server.wsUri("/nowhere")));
      assertThat(r.status()).isEqualTo(404);
    }
  }

  @Test
  void refusalsOfBadUpgradesNameTheRule() throws Exception {
    start();
    assertThat(refused(upgrade().method("POST")).status()).isEqualTo(405);
    RawWsClient.Response noUpgrade = refused(upgrade().remove("Upgrade"));
    assertThat(noUpgrade.status()).isEqualTo(426);
    assertThat(noUpgrade.header("Upgrade")).contains("websocket");
    RawWsClient.Response version = refused(upgrade().set("Sec-WebSocket-Version", "8"));
    assertThat(version.status()).isEqualTo(426);
    assertThat(version.header("Sec-WebSocket-Version")).contains("13");
    RawWsClient.Response key = refused(upgrade().set("Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAA"));
    assertThat(key.status()).isEqualTo(400);
    assertThat(key.bodyText()).contains("16-byte");
    RawWsClient.Response origin = refused(upgrade().set("Origin", "https://evil.example"));
    assertThat(origin.status()).isEqualTo(403);
    assertThat(origin.bodyText()).contains("origin not allowed");
    assertThat(accepted).as("no connection object for a refused upgrade").isEmpty();
  }

  private RawWsClient.Upgrade upgrade() {
    return RawWsClient.Upgrade.to(server.wsUri("/echo"));
  }

  private RawWsClient.Response refused(RawWsClient.Upgrade request) {
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      RawWsClient.Response r = client.upgrade(request);
      assertThat(r.status()).as("%s", r).isNotEqualTo(101);
      return r;
    }
  }

  @Test
  void theServersPreferredSubprotocolIsChosen() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      RawWsClient.Upgrade request =
          upgrade().set("Sec-WebSocket-Protocol", "other, chat.v1, chat.v2");
      RawWsClient.Response r = client.upgrade(request);
      r.assertSwitched(request.key());
      assertThat(r.header("Sec-WebSocket-Protocol")).contains("chat.v2");
      assertThat(serverSide().session().subprotocol()).contains("chat.v2");
    }
    try (RawWsClient client = RawWsClient.connect(server.uri())) {
      RawWsClient.Upgrade request = upgrade().set("Sec-WebSocket-Protocol", "other");
      RawWsClient.Response r = client.upgrade(request);
      r.assertSwitched(request.key());
      assertThat(r.header("Sec-WebSocket-Protocol")).isEmpty();
      assertThat(serverSide().session().subprotocol()).isEmpty();
    }
  }

  // ------------------------------------------------------------------ closing

  @ParameterizedTest
  @ValueSource(ints = {1000, 3000, 4000, 4999})
  void aPeersCloseCodeReachesOnCloseOnceAndIsAnswered(int code) throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/echo"));
    Probe probe = serverSide();
    client.close(code, "bye " + code);
    assertThat(probe.awaitClosed()).isEqualTo(CloseStatus.of(code, "bye " + code));
    assertThat(client.awaitClose().code()).isEqualTo(code);
    server.close();
    assertThat(probe.closes.get()).isEqualTo(1);
  }

  @Test
  void aCloseFrameWithoutCodeIsReportedAs1005() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      client.send(RawFrame.closePayload(new byte[0]));
      assertThat(probe.awaitClosed().code()).isEqualTo(CloseStatus.NO_STATUS);
      RawWsClient.Close close = client.awaitClose();
      assertThat(close.frameReceived()).isTrue();
      assertThat(client.awaitEof(Duration.ofSeconds(10))).isTrue();
    }
  }

  @Test
  void aServerCloseSendsItsCodeAndReasonAndEndsTheConnection() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/echo"));
    Probe probe = serverSide();
    probe.behaviour =
        (s, m) -> {
          s.send(Message.text("last words"));
          s.close(4002, "done");
        };
    client.sendText("bye");
    assertThat(client.awaitText()).isEqualTo("last words");
    assertThat(client.awaitClose()).isEqualTo(new TestWsClient.Close(4002, "done"));
    assertThat(probe.awaitClosed()).isEqualTo(CloseStatus.of(4002, "done"));
    assertThat(probe.session().send(Message.text("too late"))).isFalse();
  }

  @Test
  void aServerCloseIsFollowedByTheEndOfTcpOnceThePeerAnswers() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      probe.session().close(4010, "go");
      RawWsClient.Close close = client.awaitClose(); // answers with the same code
      assertThat(close).isEqualTo(new RawWsClient.Close(4010, "go", true));
      assertThat(client.awaitEof(Duration.ofSeconds(10))).isTrue();
      assertThat(probe.awaitClosed()).isEqualTo(CloseStatus.of(4010, "go"));
    }
  }

  @Test
  void aTcpDropEndsTheConnectionWith1006() throws Exception {
    start();
    TestWsClient client = TestWsClient.connect(server.wsUri("/echo"));
    Probe probe = serverSide();
    client.abort();
    assertThat(probe.awaitClosed().code()).isEqualTo(CloseStatus.ABNORMAL);
    assertThat(probe.closes.get()).isEqualTo(1);
  }

  @Test
  void abortDropsTheConnectionWithoutACloseFrameAndReports1006() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      probe.session().abort();
      RawWsClient.Close close = client.awaitClose();
      assertThat(close.frameReceived()).as("no close frame: %s", close).isFalse();
      assertThat(probe.awaitClosed().code()).isEqualTo(CloseStatus.ABNORMAL);
      assertThat(probe.closes.get()).isEqualTo(1);
    }
  }

  // ------------------------------------------------------------------ protocol errors

  @Test
  void aMessageOverTheLimitClosesWith1009() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      client.sendBinary(new byte[LIMIT + 1]);
      assertClosedWith(client, probe, CloseStatus.MESSAGE_TOO_BIG);
      assertThat(probe.messages).isEmpty();
    }
  }

  @Test
  void fragmentsAddingUpToMoreThanTheLimitCloseWith1009() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      client.send(
          RawFrame.binary(new byte[LIMIT / 2]).fin(false),
          RawFrame.continuation(new byte[LIMIT / 2]).fin(false),
          RawFrame.continuation(new byte[2]));
      assertClosedWith(client, probe, CloseStatus.MESSAGE_TOO_BIG);
      assertThat(probe.messages).isEmpty();
    }
  }

  @Test
  void anUnmaskedClientFrameClosesWith1002() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      client.send(RawFrame.text("naked").unmasked());
      assertClosedWith(client, probe, CloseStatus.PROTOCOL_ERROR);
    }
  }

  @Test
  void invalidUtf8ClosesWith1007() throws Exception {
    start();
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      client.send(RawFrame.text(new byte[] {'a', (byte) 0xC3, (byte) 0x28}));
      assertClosedWith(client, probe, CloseStatus.INVALID_PAYLOAD);
    }
  }

  private static void assertClosedWith(RawWsClient client, Probe probe, int code) throws Exception {
    RawWsClient.Close close = client.awaitClose();
    assertThat(close.frameReceived()).as("a close frame arrived (not a bare drop)").isTrue();
    assertThat(close.code()).as("close code, reason %s", close.reason()).isEqualTo(code);
    assertThat(client.awaitEof(Duration.ofSeconds(10))).as("the server ends TCP").isTrue();
    assertThat(probe.awaitClosed().code()).as("status seen by onClose").isEqualTo(code);
    assertThat(probe.closes.get()).isEqualTo(1);
  }

  // ------------------------------------------------------------------ heartbeat

  @Test
  void serverPingsGoOutEveryPingPeriodAndClientPongsKeepTheConnection() throws Exception {
    start(b -> b.pingPeriod(Duration.ofSeconds(30)).pongPeriod(Duration.ofSeconds(300)));
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      time.advanceBy(Duration.ofSeconds(30));
      assertThat(client.awaitText())
          .isEqualTo(
              "{\"connId\":\""
                  + probe.session().id()
                  + "\",\"name\":\"Probe\",\"pingId\":1,\"type\":\"ping\"}");
      client.sendText("{\"type\":\"pong\",\"pingId\":1}");
      client.sendText("probe"); // serial: handled after the pong was taken in
      assertThat(client.awaitText()).isEqualTo("probe");
      assertThat(probe.messages).as("the pong was absorbed").containsExactly(Message.text("probe"));
    }
  }

  @Test
  void protocolPingsAreAnsweredAndCountAsLiveness() throws Exception {
    start(b -> b.pingPeriod(Duration.ofDays(1)).pongPeriod(Duration.ofSeconds(300)));
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      time.advanceBy(Duration.ofSeconds(299));
      client.sendPing(new byte[] {8});
      await().until(() -> client.pongsReceived() == 1);
      time.advanceBy(Duration.ofSeconds(2)); // past 300 s since the start, 2 s since the ping
      client.sendText("probe");
      assertThat(client.awaitText()).isEqualTo("probe");
      assertThat(probe.session().isOpen()).isTrue();
    }
  }

  @Test
  void silenceForThePongPeriodClosesWith1001() throws Exception {
    start(b -> b.pingPeriod(Duration.ofDays(1)).pongPeriod(Duration.ofSeconds(300)));
    try (TestWsClient client = TestWsClient.connect(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      time.advanceBy(Duration.ofSeconds(301));
      TestWsClient.Close close = client.awaitClose();
      assertThat(close.code()).isEqualTo(CloseStatus.GOING_AWAY);
      assertThat(close.reason()).contains("heartbeat timeout");
      assertThat(probe.awaitClosed().code()).isEqualTo(CloseStatus.GOING_AWAY);
    }
  }

  // ------------------------------------------------------------------ slow peers

  /** A client that upgrades and then reads nothing, with a small receive buffer. */
  private RawWsClient stalledClient() {
    RawWsClient client =
        RawWsClient.builder(server.wsUri("/echo")).receiveBufferSize(4096).connect();
    RawWsClient.Upgrade up = RawWsClient.Upgrade.to(server.wsUri("/echo"));
    client.upgrade(up).assertSwitched(up.key());
    return client;
  }

  @Test
  void aSlowConsumerIsClosedWith1008WhileSendNeverBlocks() throws Exception {
    start(b -> b.maxQueuedBytes(256 * 1024).closeTimeout(Duration.ofMillis(200)));
    try (RawWsClient stalled = stalledClient()) {
      Probe probe = serverSide();
      Message chunk = Message.text("x".repeat(16 * 1024));
      int sent = 0;
      while (sent < 100_000 && probe.session().sendMessage(chunk)) {
        sent++;
      }
      assertThat(sent).as("sends refused once the budget is spent").isLessThan(100_000);
      assertThat(probe.session().sendMessage(chunk)).isFalse();
      time.advanceBy(Duration.ofSeconds(1)); // close timeout: the close frame cannot get out
      CloseStatus status = probe.awaitClosed();
      assertThat(status.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
      assertThat(status.reason()).contains("slow consumer");
    }
  }

  @Test
  void aWriteThatMakesNoProgressIsAbortedAfterTheWriteTimeout() throws Exception {
    start(b -> b.maxQueuedBytes(64L << 20).writeTimeout(Duration.ofSeconds(5)));
    try (RawWsClient stalled = stalledClient()) {
      Probe probe = serverSide();
      Message chunk = Message.text("y".repeat(64 * 1024));
      for (int i = 0; i < 200; i++) {
        assertThat(probe.session().sendMessage(chunk)).isTrue();
      }
      // The socket buffers fill and the writer is stuck on one message.
      await().until(() -> probe.session().queuedBytes() > 1 << 20);
      time.advanceBy(Duration.ofSeconds(4));
      assertThat(probe.session().isOpen()).isTrue();
      time.advanceBy(Duration.ofSeconds(2));
      CloseStatus status = probe.awaitClosed();
      assertThat(status.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
      assertThat(status.reason()).contains("write timeout");
    }
  }

  // ------------------------------------------------------------------ backpressure

  /**
   * A listener that does not return stops the reads: the client's writes stall once the socket
   * buffers are full instead of the server reading the whole budget into memory; once released,
   * every message arrives in order.
   */
  @Test
  void aBlockedListenerStopsTheReadsAndThePeerIsHeldBackByTcp() throws Exception {
    start(b -> b.maxMessageSize(1 << 20));
    int size = 64 * 1024;
    long budget = 256L << 20; // never reached when the server pushes back
    try (RawWsClient client = RawWsClient.open(server.wsUri("/echo"))) {
      Probe probe = serverSide();
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch entered = new CountDownLatch(1);
      probe.behaviour =
          (s, m) -> {
            entered.countDown();
            release.await();
          };
      byte[] wire = RawFrame.encodeAll(RawFrame.binary(new byte[size]));
      AtomicLong written = new AtomicLong();
      Thread writer =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (written.get() < budget) {
                        client.write(wire);
                        written.addAndGet(wire.length);
                      }
                    } catch (UncheckedIOException e) {
                      // the socket is closed at the end of the test
                    }
                  });
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      // Wait until the writer makes no progress (three polls a second apart see the same count)
      // or is done. Without backpressure the server reads on until the budget.
      long[] last = {-1, 0};
      await()
          .pollInterval(Duration.ofSeconds(1))
          .atMost(Duration.ofSeconds(90))
          .until(
              () -> {
                long now = written.get();
                last[1] = now == last[0] ? last[1] + 1 : 0;
                last[0] = now;
                return last[1] >= 2 || !writer.isAlive();
              });
      assertThat(writer.isAlive()).as("the writer is blocked, not done").isTrue();
      assertThat(written.get()).isLessThan(budget);
      assertThat(probe.messages).hasSize(1);
      release.countDown();
      await().atMost(Duration.ofSeconds(60)).until(() -> probe.messages.size() > 1);
      client.reset();
      writer.join(Duration.ofSeconds(10));
      assertThat(probe.awaitClosed().code()).isEqualTo(CloseStatus.ABNORMAL);
    }
  }
}
