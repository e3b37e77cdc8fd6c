package io.servicekit.client;

import static io.servicekit.client.Recorder.poll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.JsonCodec;
import io.servicekit.Message;
import io.servicekit.Rejection;
import io.servicekit.Scheduler;
import io.servicekit.TypedJsonCodec;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.jetty.ServiceKitServer;
import io.servicekit.testkit.FakeScheduler;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link WsClient} against real ServiceKit servers on port 0. */
class WsClientTest {
  record Msg(String text, int n) {}

  private final FakeScheduler serverTime = new FakeScheduler();
  private final FakeScheduler clientTime = new FakeScheduler();
  private final BlockingQueue<Object> serverReceived = new LinkedBlockingQueue<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final AtomicBoolean answerPings = new AtomicBoolean(true);

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /**
   * /echo echoes frames; /json records and echoes messages (not pongs), answers "err" with an error
   * envelope and "kick" with 1008; /forbidden refuses the handshake with 403.
   */
  private ServiceKitServer server(int port) throws Exception {
    WsConfig config =
        WsConfig.builder()
            .scheduler(serverTime)
            .writeTimeout(Duration.ofDays(1))
            .absorbPongs(false)
            .build();
    ServiceKitServer server =
        ServiceKitServer.builder()
            .port(port)
            .ws(
                "/echo",
                r -> WsListener.of(Codec.raw(), "Echo", (session, m) -> session.send(m)),
                config)
            .ws(
                "/json",
                r ->
                    WsListener.of(
                        JsonCodec.INSTANCE,
                        "Json",
                        (session, m) -> {
                          serverReceived.add(m);
                          if ("err".equals(m)) {
                            session.sendError("boom");
                          } else if ("kick".equals(m)) {
                            session.close(CloseStatus.POLICY_VIOLATION, "kicked");
                          } else if (!(m instanceof Map<?, ?> map
                              && "pong".equals(map.get("type")))) {
                            session.send(m); // pongs (absorbPongs is off here) are recorded only
                          }
                        }),
                config)
            .ws(
                "/proto",
                r -> WsListener.of(Codec.raw(), "Proto", (session, m) -> session.send(m)),
                config.toBuilder().subprotocols(List.of("chat.v2", "chat.v1")).build())
            .ws(
                "/heartbeat",
                r ->
                    WsListener.of(
                        JsonCodec.INSTANCE,
                        "Heartbeat",
                        (session, m) -> {
                          if (m instanceof Map<?, ?> map && "ping".equals(map.get("type"))) {
                            serverReceived.add(map.get("pingId"));
                            if (answerPings.get()) {
                              session.send(Map.of("type", "pong", "pingId", map.get("pingId")));
                            }
                          } else {
                            session.send(m);
                          }
                        }),
                config)
            .ws(
                "/forbidden",
                r -> {
                  throw Rejection.of(403, "no entry");
                },
                config)
            .build()
            .start();
    closeables.add(server);
    return server;
  }

  private <I, O> WsClient.Builder<I, O> client(URI uri, Codec<I, O> codec, Recorder<I> rec) {
    return WsClient.builder(uri, codec)
        .listener(rec)
        .scheduler(clientTime)
        .random(() -> 0.5)
        .reconnect(
            ReconnectPolicy.builder()
                .initialDelay(Duration.ofSeconds(2))
                .maxDelay(Duration.ofSeconds(8))
                .build());
  }

  private <I, O> WsClient<I, O> track(WsClient<I, O> client) {
    closeables.add(client);
    return client;
  }

  @Test
  void typedEchoRoundTripTextBinaryAndLargeFragmentedMessages() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Msg> rec = new Recorder<>();
    WsClient<Msg, Msg> client =
        track(client(server.wsUri("/echo"), TypedJsonCodec.<Msg, Msg>of(Msg.class), rec).build());
    client.connect().get(20, TimeUnit.SECONDS);
    assertThat(poll(rec.opens)).isEqualTo("open");
    assertThat(client.state()).isEqualTo(WsClient.State.OPEN);

    for (int i = 0; i < 50; i++) {
      client.send(new Msg("hello", i));
    }
    for (int i = 0; i < 50; i++) {
      assertThat(poll(rec.messages)).isEqualTo(new Msg("hello", i));
    }
    String big = "x".repeat(300_000); // arrives in several fragments
    client.send(new Msg(big, -1)).get(20, TimeUnit.SECONDS);
    assertThat(poll(rec.messages)).isEqualTo(new Msg(big, -1));

    // A binary frame reaches the codec, which refuses it: an error, and the connection stays.
    client.sendBinary(new byte[] {1, 2, 3});
    assertThat(poll(rec.errors))
        .isInstanceOf(io.servicekit.DecodeException.class)
        .hasMessageContaining("binary");
    client.send(new Msg("after", 1));
    assertThat(poll(rec.messages)).isEqualTo(new Msg("after", 1));

    Recorder<Message> raw = new Recorder<>();
    WsClient<Message, Message> rawClient =
        track(client(server.wsUri("/echo"), Codec.raw(), raw).build());
    rawClient.connect().get(20, TimeUnit.SECONDS);
    byte[] bytes = new byte[200_000];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    rawClient.send(Message.binary(bytes));
    assertThat(poll(raw.messages)).isEqualTo(Message.binary(bytes));
  }

  @Test
  void serverPingsAreAnsweredWithPongsAndNeverReachOnMessage() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(client(server.wsUri("/json"), JsonCodec.INSTANCE, rec).build());
    client.connect().get(20, TimeUnit.SECONDS);
    client.send("hi");
    assertThat(poll(rec.messages)).isEqualTo("hi"); // the server has started its heartbeat
    assertThat(poll(serverReceived)).isEqualTo("hi");

    serverTime.advanceBy(Duration.ofSeconds(30));
    assertThat(poll(rec.pings)).isEqualTo(1L);
    assertThat(poll(serverReceived)).isEqualTo(Map.of("type", "pong", "pingId", 1));
    serverTime.advanceBy(Duration.ofSeconds(30));
    assertThat(poll(rec.pings)).isEqualTo(2L);
    assertThat(poll(serverReceived)).isEqualTo(Map.of("type", "pong", "pingId", 2));

    client.send("done");
    assertThat(poll(rec.messages)).isEqualTo("done"); // pings never came through onMessage
    assertThat(rec.messages).isEmpty();
  }

  @Test
  void errorEnvelopesReachOnErrorAndTheConnectionStays() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(client(server.wsUri("/json"), JsonCodec.INSTANCE, rec).build());
    client.connect().get(20, TimeUnit.SECONDS);
    client.send("err");
    Throwable error = poll(rec.errors);
    assertThat(error).isInstanceOf(ServerErrorException.class).hasMessage("boom");
    client.send("still");
    assertThat(poll(rec.messages)).isEqualTo("still");
    // An application message that merely has a "type" is not an envelope.
    client.send(Map.of("type", "error", "error", "x", "extra", 1));
    assertThat(poll(rec.messages)).isEqualTo(Map.of("type", "error", "error", "x", "extra", 1));
  }

  @Test
  void reconnectsWithBackoffAfterTheServerStopsAndANewOneStartsOnTheSamePort() throws Exception {
    ServiceKitServer first = server(0);
    int port = first.port();
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(client(first.wsUri("/json"), JsonCodec.INSTANCE, rec).build());
    client.connect().get(20, TimeUnit.SECONDS);
    poll(rec.opens);
    client.send("one");
    assertThat(poll(rec.messages)).isEqualTo("one");

    first.stop();
    CloseStatus lost = poll(rec.closes);
    assertThat(lost.code()).isIn(CloseStatus.GOING_AWAY, CloseStatus.ABNORMAL);
    // full jitter with random 0.5: half of 2 s, 4 s, 8 s, 8 s (capped) = 1 s, 2 s, 4 s, 4 s
    assertThat(poll(rec.reconnects)).isEqualTo(new Recorder.Reconnecting(1, Duration.ofSeconds(1)));
    assertThat(client.state()).isEqualTo(WsClient.State.WAITING);
    client.send("queued while away");
    assertThat(client.queuedMessages()).isEqualTo(1);

    clientTime.advanceBy(Duration.ofSeconds(1)); // attempt 1: nothing listens
    poll(rec.errors);
    assertThat(poll(rec.reconnects)).isEqualTo(new Recorder.Reconnecting(2, Duration.ofSeconds(2)));
    clientTime.advanceBy(Duration.ofSeconds(2)); // attempt 2: nothing listens
    poll(rec.errors);
    assertThat(poll(rec.reconnects)).isEqualTo(new Recorder.Reconnecting(3, Duration.ofSeconds(4)));

    server(port);
    clientTime.advanceBy(Duration.ofSeconds(4)); // attempt 3 finds the new server
    poll(rec.opens);
    assertThat(poll(rec.messages)).isEqualTo("queued while away");
    client.send("two");
    assertThat(poll(rec.messages)).isEqualTo("two");

    // The backoff was reset by the open: the next drop starts again at 1 s.
    closeables.get(closeables.size() - 1).close();
    poll(rec.closes);
    assertThat(poll(rec.reconnects)).isEqualTo(new Recorder.Reconnecting(1, Duration.ofSeconds(1)));
    client.close();
    assertThat(client.closed().get(20, TimeUnit.SECONDS).code()).isEqualTo(CloseStatus.NORMAL);
    assertThat(clientTime.pendingTasks()).isZero(); // the pending attempt was cancelled
  }

  @Test
  void closeEndsTheClientWithoutReconnecting() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(client(server.wsUri("/json"), JsonCodec.INSTANCE, rec).build());
    client.connect().get(20, TimeUnit.SECONDS);
    client.send("last words");
    client.close();
    CloseStatus status = client.closed().get(20, TimeUnit.SECONDS);
    assertThat(status.code()).isEqualTo(CloseStatus.NORMAL);
    assertThat(poll(serverReceived)).isEqualTo("last words"); // queued messages are flushed first
    assertThat(poll(rec.closes).code()).isEqualTo(CloseStatus.NORMAL);
    assertThat(rec.reconnects).isEmpty();
    assertThat(client.state()).isEqualTo(WsClient.State.CLOSED);
    // The close timer (abort if the handshake never ends) was cancelled: it held the client.
    assertThat(clientTime.pendingTasks()).as("tasks left on the client's scheduler").isZero();
    assertThatThrownBy(() -> client.send("more"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void policyViolationCloseIsNotRetried() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(client(server.wsUri("/json"), JsonCodec.INSTANCE, rec).build());
    client.connect().get(20, TimeUnit.SECONDS);
    client.send("kick");
    CloseStatus status = client.closed().get(20, TimeUnit.SECONDS);
    assertThat(status.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
    assertThat(status.reason()).isEqualTo("kicked");
    assertThat(poll(rec.closes).code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
    assertThat(rec.reconnects).isEmpty();
    assertThat(clientTime.pendingTasks()).isZero();
  }

  @Test
  void closeCalledFromOnCloseOfANonRetriedEndDoesNotThrow() throws Exception {
    // Callbacks run inline (a direct serial executor), so onClose runs after the connection has
    // ended but before the client terminates: the window in which close() used to dereference the
    // ended connection (NullPointerException, found by NullAway). With the system scheduler the
    // same order happens whenever the callback thread wins the race.
    Scheduler inline =
        new Scheduler() {
          @Override
          public Cancellable schedule(Runnable task, Duration delay) {
            return clientTime.schedule(task, delay);
          }

          @Override
          public long nanoTime() {
            return clientTime.nanoTime();
          }

          @Override
          public Executor serial(String name) {
            return Runnable::run;
          }
        };
    ServiceKitServer server = server(0);
    AtomicReference<WsClient<Object, Object>> self = new AtomicReference<>();
    CompletableFuture<Throwable> closeFromOnClose = new CompletableFuture<>();
    Recorder<Object> rec =
        new Recorder<>() {
          @Override
          public void onClose(CloseStatus status) {
            super.onClose(status);
            try {
              self.get().close();
              closeFromOnClose.complete(null);
            } catch (RuntimeException e) {
              closeFromOnClose.complete(e);
            }
          }
        };
    WsClient<Object, Object> client =
        track(client(server.wsUri("/json"), JsonCodec.INSTANCE, rec).scheduler(inline).build());
    self.set(client);
    client.connect().get(20, TimeUnit.SECONDS);
    client.send("kick");
    assertThat(closeFromOnClose.get(20, TimeUnit.SECONDS)).isNull();
    CloseStatus status = client.closed().get(20, TimeUnit.SECONDS);
    assertThat(status.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
    assertThat(client.state()).isEqualTo(WsClient.State.CLOSED);
  }

  @Test
  void refusedHandshakeFailsConnectWithTheStatusAndIsNotRetried() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(client(server.wsUri("/forbidden"), JsonCodec.INSTANCE, rec).build());
    assertThatThrownBy(() -> client.connect().join())
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            HttpStatusException.class, e -> assertThat(e.status()).isEqualTo(403));
    assertThat(poll(rec.errors)).isInstanceOf(HttpStatusException.class);
    client.closed().get(20, TimeUnit.SECONDS);
    assertThat(rec.reconnects).isEmpty();
    assertThat(rec.opens).isEmpty();
  }

  @Test
  void sendQueueIsBoundedWhileNotConnected() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(client(server.wsUri("/json"), JsonCodec.INSTANCE, rec).maxQueuedMessages(2).build());
    client.send("a");
    client.send("b");
    assertThatThrownBy(() -> client.send("c"))
        .isInstanceOfSatisfying(
            SendQueueFullException.class, e -> assertThat(e.limit()).isEqualTo(2))
        .hasMessageContaining("maxQueuedMessages=2");
    client.connect().get(20, TimeUnit.SECONDS);
    assertThat(poll(rec.messages)).isEqualTo("a");
    assertThat(poll(rec.messages)).isEqualTo("b");
    assertThat(poll(serverReceived)).isEqualTo("a");
    assertThat(poll(serverReceived)).isEqualTo("b");
    assertThat(serverReceived.poll(200, TimeUnit.MILLISECONDS)).isNull(); // "c" was never queued
  }

  @Test
  void concurrentSendsAreAllDeliveredInPerThreadOrderAndCallbacksNeverOverlap() throws Exception {
    ServiceKitServer server = server(0);
    java.util.concurrent.atomic.AtomicInteger inside =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger overlaps =
        new java.util.concurrent.atomic.AtomicInteger();
    Recorder<Msg> rec =
        new Recorder<>() {
          @Override
          public void onMessage(Msg message) {
            if (inside.incrementAndGet() > 1) {
              overlaps.incrementAndGet();
            }
            super.onMessage(message);
            inside.decrementAndGet();
          }
        };
    WsClient<Msg, Msg> client =
        track(
            client(server.wsUri("/echo"), TypedJsonCodec.<Msg, Msg>of(Msg.class), rec)
                .maxQueuedMessages(10_000)
                .build());
    client.connect().get(20, TimeUnit.SECONDS);
    int threads = 4;
    int each = 250;
    List<Thread> senders = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String name = "t" + t;
      senders.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = 0; i < each; i++) {
                      client.send(new Msg(name, i));
                    }
                  }));
    }
    for (Thread t : senders) {
      t.join();
    }
    Map<String, Integer> next = new java.util.HashMap<>();
    for (int i = 0; i < threads * each; i++) {
      Msg m = poll(rec.messages);
      assertThat(m.n()).isEqualTo(next.getOrDefault(m.text(), 0));
      next.put(m.text(), m.n() + 1);
    }
    assertThat(next).hasSize(threads).allSatisfy((k, v) -> assertThat(v).isEqualTo(each));
    assertThat(overlaps).hasValue(0);
  }

  @Test
  void offersSubprotocolsAndReportsTheChosenOne() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Message> rec = new Recorder<>();
    WsClient<Message, Message> client =
        track(client(server.wsUri("/proto"), Codec.raw(), rec).subprotocols("chat.v1").build());
    client.connect().get(20, TimeUnit.SECONDS);
    assertThat(client.subprotocol()).isEqualTo("chat.v1");
  }

  @Test
  void aMessageOverTheSizeLimitIsReportedAndEndsTheClientWith1009() throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Message> rec = new Recorder<>();
    WsClient<Message, Message> client =
        track(client(server.wsUri("/echo"), Codec.raw(), rec).maxMessageBytes(1000).build());
    client.connect().get(20, TimeUnit.SECONDS);
    client.send(Message.text("y".repeat(5000)));
    assertThat(poll(rec.errors)).hasMessageContaining("maxMessageBytes=1000");
    assertThat(client.closed().get(20, TimeUnit.SECONDS).code())
        .isEqualTo(CloseStatus.MESSAGE_TOO_BIG);
    assertThat(rec.messages).isEmpty();
    assertThat(rec.reconnects).isEmpty();
  }

  @Test
  void clientHeartbeatPingsAndAnUnansweredPingDropsTheSocketWith4000AndReconnects()
      throws Exception {
    ServiceKitServer server = server(0);
    Recorder<Object> rec = new Recorder<>();
    WsClient<Object, Object> client =
        track(
            client(server.wsUri("/heartbeat"), JsonCodec.INSTANCE, rec)
                .pingInterval(Duration.ofSeconds(10))
                .pongTimeout(Duration.ofSeconds(5))
                .build());
    client.connect().get(20, TimeUnit.SECONDS);
    poll(rec.opens);

    clientTime.advanceBy(Duration.ofSeconds(10)); // ping 1, answered
    assertThat(poll(serverReceived)).isEqualTo(1);
    assertThat(poll(rec.pongs)).isEqualTo(1L);
    clientTime.advanceBy(Duration.ofSeconds(5)); // its deadline was cleared by the pong
    assertThat(client.state()).isEqualTo(WsClient.State.OPEN);

    answerPings.set(false);
    clientTime.advanceBy(Duration.ofSeconds(5)); // t = 20 s: ping 2, never answered
    assertThat(poll(serverReceived)).isEqualTo(2);
    clientTime.advanceBy(Duration.ofSeconds(5)); // t = 25 s: its pong deadline
    assertThat(poll(rec.errors)).hasMessageContaining("no pong for ping 2 within 5000 ms");
    CloseStatus dropped = poll(rec.closes);
    assertThat(dropped.code()).isEqualTo(WsClient.PONG_TIMEOUT);
    assertThat(dropped.reason()).isEqualTo("pong timeout");
    // 4000 is not in the retryable set, but the client found the socket dead: it reconnects
    assertThat(poll(rec.reconnects)).isEqualTo(new Recorder.Reconnecting(1, Duration.ofSeconds(1)));

    answerPings.set(true);
    clientTime.advanceBy(Duration.ofSeconds(1));
    poll(rec.opens);
    client.send("back");
    assertThat(poll(rec.messages)).isEqualTo("back");
    assertThat(rec.messages).isEmpty(); // pongs never reached onMessage
    client.close();
    assertThat(client.closed().get(20, TimeUnit.SECONDS).code()).isEqualTo(CloseStatus.NORMAL);
    assertThat(clientTime.pendingTasks()).isZero(); // no ping or pong timer left behind
  }

  @Test
  void closeWhileConnectingDropsWhatWaitsAndSaysHowMany() throws Exception {
    // A TCP listener that never answers the upgrade: the client stays CONNECTING.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
      Recorder<Object> rec = new Recorder<>();
      WsClient<Object, Object> client =
          track(
              client(
                      URI.create("ws://localhost:" + silent.getLocalPort() + "/x"),
                      JsonCodec.INSTANCE,
                      rec)
                  .build());
      client.connect();
      java.net.Socket accepted = silent.accept();
      assertThat(client.state()).isEqualTo(WsClient.State.CONNECTING);
      var first = client.send("one");
      var second = client.send("two");
      assertThat(client.queuedMessages()).isEqualTo(2);
      client.close();
      assertThat(client.queuedMessages()).isZero();
      assertThatThrownBy(() -> first.get(20, TimeUnit.SECONDS))
          .hasCauseInstanceOf(IllegalStateException.class)
          .hasMessageContaining("close() was called before a connection opened")
          .hasMessageContaining("2 queued messages dropped");
      assertThat(second).isCompletedExceptionally();
      assertThatThrownBy(() -> client.send("three")).isInstanceOf(IllegalStateException.class);
      accepted.close(); // the handshake fails now: the client ends without reconnecting
      client.closed().get(20, TimeUnit.SECONDS);
      assertThat(client.state()).isEqualTo(WsClient.State.CLOSED);
      assertThat(rec.reconnects).isEmpty();
    }
  }

  @Test
  void builderRejectsBadSettingsWithClearMessages() {
    URI uri = URI.create("ws://localhost:1/x");
    assertThatThrownBy(() -> WsClient.builder(URI.create("http://localhost/x"), JsonCodec.INSTANCE))
        .hasMessageContaining("ws: or wss:");
    assertThatThrownBy(() -> WsClient.builder(uri, JsonCodec.INSTANCE).maxQueuedMessages(0))
        .hasMessageContaining("maxQueuedMessages must be positive, was 0");
    WsClient<Object, Object> c = WsClient.builder(uri, JsonCodec.INSTANCE).build();
    assertThatThrownBy(() -> c.close(1008, "x"))
        .hasMessageContaining("must be 1000 or 3000-4999")
        .hasMessageContaining("1008");
    assertThatThrownBy(
            () -> WsClient.builder(uri, JsonCodec.INSTANCE).pingInterval(Duration.ofSeconds(-1)))
        .hasMessageContaining("pingInterval must be zero or positive, was PT-1S");
    assertThatThrownBy(
            () ->
                WsClient.builder(uri, JsonCodec.INSTANCE)
                    .pongTimeout(Duration.ofSeconds(1))
                    .build())
        .hasMessageContaining("pongTimeout (PT1S) needs a pingInterval");
    assertThatThrownBy(
            () ->
                ReconnectPolicy.builder()
                    .initialDelay(Duration.ofSeconds(5))
                    .maxDelay(Duration.ofSeconds(1))
                    .build())
        .hasMessageContaining("maxDelay");
  }
}
