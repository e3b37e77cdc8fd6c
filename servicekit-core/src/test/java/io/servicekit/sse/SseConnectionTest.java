package io.servicekit.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.HandshakeRejection;
import io.servicekit.SlowConsumerPolicy;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The SSE connection state machine over a recording transport with manual time. */
class SseConnectionTest {
  private final ManualScheduler time = new ManualScheduler();

  private SseConfig.Builder config() {
    return SseConfig.builder().scheduler(time);
  }

  private static SseConnection open(ProbeConn conn, SseConfig config, RecordingTransport t) {
    SseConnection c = new SseConnection(conn, config, TestRequest.get("/sse"), null);
    c.open(t);
    return c;
  }

  /** Waits until onStart has returned and the first (header-committing) write happened. */
  private static void awaitStarted(RecordingTransport t) {
    await().atMost(Duration.ofSeconds(5)).until(() -> t.writes() >= 1);
  }

  @Test
  void eventsSentInOnStartAreWrittenInOrderAfterAHeaderFlush() {
    RecordingTransport t = new RecordingTransport();
    ProbeConn conn =
        new ProbeConn(
            s -> {
              s.send(SseEvent.of("one"));
            });
    open(conn, config().build(), t);
    awaitStarted(t);
    assertThat(conn.sendEventWithId("update", "evt-1", Map.of("key", "value"))).isTrue();
    assertThat(conn.sendEvent("alert", Map.of("level", "warning"))).isTrue();
    assertThat(conn.sendOutput(Map.of("status", "updated"))).isTrue();
    assertThat(t.text())
        .isEqualTo(
            "data: one\n\n"
                + "event: update\nid: evt-1\ndata: {\"key\":\"value\"}\n\n"
                + "event: alert\ndata: {\"level\":\"warning\"}\n\n"
                + "data: {\"status\":\"updated\"}\n\n");
  }

  @Test
  void aConfiguredRetryHintIsTheFirstThingWritten() {
    RecordingTransport t = new RecordingTransport();
    open(new ProbeConn(), config().retry(Duration.ofMillis(1500)).build(), t);
    awaitStarted(t);
    assertThat(t.text()).isEqualTo("retry: 1500\n\n");
  }

  @Test
  void nothingIsWrittenUntilOnStartReturns() throws Exception {
    RecordingTransport t = new RecordingTransport();
    CountDownLatch inStart = new CountDownLatch(1);
    CountDownLatch letGo = new CountDownLatch(1);
    ProbeConn conn =
        new ProbeConn(
            s -> {
              s.send(SseEvent.of("early"));
              inStart.countDown();
              letGo.await();
            });
    open(conn, config().build(), t);
    assertThat(inStart.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(t.writes()).isZero();
    letGo.countDown();
    await().until(() -> t.text().equals("data: early\n\n"));
  }

  @Test
  void keepalivesFollowThePeriodOnTheInjectedScheduler() {
    RecordingTransport t = new RecordingTransport();
    open(new ProbeConn(), config().keepalivePeriod(Duration.ofSeconds(30)).build(), t);
    awaitStarted(t);
    time.advance(Duration.ofSeconds(29));
    assertThat(t.text()).isEmpty();
    time.advance(Duration.ofSeconds(1));
    assertThat(t.text()).isEqualTo(": keepalive\n\n");
    time.advance(Duration.ofSeconds(60));
    assertThat(t.text()).isEqualTo(": keepalive\n\n".repeat(3));
  }

  @Test
  void keepaliveZeroDisablesIt() {
    RecordingTransport t = new RecordingTransport();
    open(new ProbeConn(), config().keepalivePeriod(Duration.ZERO).build(), t);
    awaitStarted(t);
    time.advance(Duration.ofHours(1));
    assertThat(t.text()).isEmpty();
  }

  @Test
  void closeWritesWhatIsQueuedThenEndsAndRunsOnCloseOnce() {
    RecordingTransport t = new RecordingTransport();
    ProbeConn conn = new ProbeConn();
    SseConnection c = open(conn, config().build(), t);
    awaitStarted(t);
    conn.sendOutput("last");
    assertThat(c.close()).isTrue();
    assertThat(c.close()).isFalse();
    assertThat(conn.sendOutput("after")).isFalse();
    await().until(() -> conn.closes.size() == 1);
    assertThat(t.ended).isTrue();
    assertThat(t.text()).isEqualTo("data: \"last\"\n\n");
    assertThat(conn.closes.get(0).reason()).isEqualTo(SseCloseStatus.Reason.CLOSED);
    c.onTransportFailure(new RuntimeException("late"));
    c.abort();
    assertThat(conn.closeFuture().toCompletableFuture().join().reason())
        .isEqualTo(SseCloseStatus.Reason.CLOSED);
    assertThat(conn.closes).hasSize(1);
    time.advance(Duration.ofMinutes(5));
    assertThat(t.text()).as("no keepalive after close").isEqualTo("data: \"last\"\n\n");
  }

  @Test
  void clientGoneRunsOnCloseOnceAndRefusesSends() {
    RecordingTransport t = new RecordingTransport();
    ProbeConn conn = new ProbeConn();
    SseConnection c = open(conn, config().build(), t);
    awaitStarted(t);
    c.onTransportFailure(new java.io.EOFException("gone"));
    c.onTransportFailure(new java.io.EOFException("again"));
    await().until(() -> conn.closes.size() == 1);
    assertThat(conn.closes.get(0).reason()).isEqualTo(SseCloseStatus.Reason.DISCONNECTED);
    assertThat(conn.closes.get(0).detail()).contains("gone");
    assertThat(t.aborted).isTrue();
    assertThat(conn.sendOutput("x")).isFalse();
    assertThat(c.isOpen()).isFalse();
  }

  @Test
  void onStartFailureAnswers500InsteadOfAStreamAndStillRunsOnClose() {
    RecordingTransport t = new RecordingTransport();
    ProbeConn conn =
        new ProbeConn(
            s -> {
              s.send(SseEvent.of("never written"));
              throw new IllegalStateException("boom");
            });
    open(conn, config().build(), t);
    await().until(() -> conn.closes.size() == 1);
    assertThat(t.rejectStatus).isEqualTo(500);
    assertThat(t.writes()).isZero();
    assertThat(conn.closes.get(0).reason()).isEqualTo(SseCloseStatus.Reason.START_FAILED);
  }

  @Test
  void onStartRejectionAndNoContentChooseTheStatus() {
    RecordingTransport t = new RecordingTransport();
    ProbeConn conn =
        new ProbeConn(
            s -> {
              throw HandshakeRejection.of(403, "no feed for you");
            });
    open(conn, config().build(), t);
    await().until(() -> conn.closes.size() == 1);
    assertThat(t.rejectStatus).isEqualTo(403);
    assertThat(t.rejectBody).isEqualTo("no feed for you");

    RecordingTransport t2 = new RecordingTransport();
    ProbeConn conn2 =
        new ProbeConn(
            s -> {
              throw new SseNoContent("feed over");
            });
    open(conn2, config().build(), t2);
    await().until(() -> conn2.closes.size() == 1);
    assertThat(t2.rejectStatus).isEqualTo(204);
  }

  @Test
  void sendsBeforeStartReturnFalse() {
    ProbeConn conn = new ProbeConn();
    assertThat(conn.sendOutput("x")).isFalse();
    assertThat(conn.isOpen()).isFalse();
    assertThat(conn.session()).isEmpty();
  }

  @Test
  void slowConsumerIsDroppedWhenTheBudgetIsExceeded() {
    RecordingTransport t = RecordingTransport.stalled();
    ProbeConn conn = new ProbeConn();
    open(conn, config().maxQueuedBytes(100).build(), t);
    awaitStarted(t); // the empty header write is in flight and never completes
    String payload = "x".repeat(30);
    assertThat(conn.send(SseEvent.of(payload))).isTrue(); // 38 bytes
    assertThat(conn.send(SseEvent.of(payload))).isTrue(); // 76
    assertThat(conn.send(SseEvent.of(payload))).isFalse(); // 114 > 100
    await().until(() -> conn.closes.size() == 1);
    assertThat(conn.closes.get(0).reason()).isEqualTo(SseCloseStatus.Reason.SLOW_CONSUMER);
    assertThat(conn.closes.get(0).detail()).contains("100 bytes");
    assertThat(t.aborted).isTrue();
  }

  @Test
  void dropNewestKeepsTheStreamAndCountsDrops() {
    RecordingTransport t = RecordingTransport.stalled();
    ProbeConn conn = new ProbeConn();
    SseConnection c =
        open(
            conn,
            config().maxQueuedBytes(100).slowConsumerPolicy(SlowConsumerPolicy.DROP_NEWEST).build(),
            t);
    awaitStarted(t);
    String payload = "x".repeat(30);
    conn.send(SseEvent.of(payload + "1"));
    conn.send(SseEvent.of(payload + "2"));
    assertThat(conn.send(SseEvent.of(payload + "3"))).isFalse();
    assertThat(c.droppedMessages()).isEqualTo(1);
    assertThat(c.queuedBytes()).isLessThanOrEqualTo(100);
    t.completeAll();
    assertThat(t.text()).isEqualTo("data: " + payload + "1\n\ndata: " + payload + "2\n\n");
    assertThat(c.isOpen()).isTrue();
  }

  @Test
  void dropOldestKeepsTheNewest() {
    RecordingTransport t = RecordingTransport.stalled();
    ProbeConn conn = new ProbeConn();
    SseConnection c =
        open(
            conn,
            config().maxQueuedBytes(100).slowConsumerPolicy(SlowConsumerPolicy.DROP_OLDEST).build(),
            t);
    awaitStarted(t);
    String payload = "x".repeat(30);
    conn.send(SseEvent.of(payload + "1"));
    conn.send(SseEvent.of(payload + "2"));
    assertThat(conn.send(SseEvent.of(payload + "3"))).isTrue();
    assertThat(c.droppedMessages()).isEqualTo(1);
    t.completeAll();
    assertThat(t.text()).isEqualTo("data: " + payload + "2\n\ndata: " + payload + "3\n\n");
  }

  @Test
  void aWriteThatNeverCompletesTimesOut() {
    RecordingTransport t = RecordingTransport.stalled();
    ProbeConn conn = new ProbeConn();
    open(
        conn,
        config().writeTimeout(Duration.ofSeconds(10)).keepalivePeriod(Duration.ZERO).build(),
        t);
    awaitStarted(t);
    time.advance(Duration.ofSeconds(9));
    assertThat(conn.closes).isEmpty();
    time.advance(Duration.ofSeconds(1));
    await().until(() -> conn.closes.size() == 1);
    assertThat(conn.closes.get(0).reason()).isEqualTo(SseCloseStatus.Reason.WRITE_TIMEOUT);
    assertThat(t.aborted).isTrue();
  }

  @Test
  void writesThatKeepCompletingNeverTimeOut() {
    RecordingTransport t = new RecordingTransport();
    ProbeConn conn = new ProbeConn();
    open(conn, config().writeTimeout(Duration.ofSeconds(10)).build(), t);
    awaitStarted(t);
    for (int i = 0; i < 10; i++) {
      conn.sendOutput(i);
      time.advance(Duration.ofSeconds(5));
    }
    assertThat(conn.closes).isEmpty();
  }

  @Test
  void injectionIsRejectedWithAClearError() {
    RecordingTransport t = new RecordingTransport();
    ProbeConn conn = new ProbeConn();
    open(conn, config().build(), t);
    awaitStarted(t);
    assertThatThrownBy(() -> conn.sendEvent("evil\ndata: x", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("event name");
    assertThatThrownBy(() -> conn.sendEventWithId("e", "1\r\n", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("event id");
    assertThatThrownBy(() -> conn.sendRetry(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(t.text()).isEmpty();
    assertThat(conn.sendRetry(3000)).isTrue();
    assertThat(conn.sendKeepalive()).isTrue();
    assertThat(t.text()).isEqualTo("retry: 3000\n\n: keepalive\n\n");
  }

  @Test
  void lastEventIdHeaderIsChecked() {
    SseConfig cfg = config().maxLastEventIdLength(8).build();
    assertThat(SseConnection.lastEventId(TestRequest.get("/"), cfg)).isNull();
    assertThat(SseConnection.lastEventId(TestRequest.get("/").with("Last-Event-ID", ""), cfg))
        .isNull();
    assertThat(SseConnection.lastEventId(TestRequest.get("/").with("Last-Event-ID", "42"), cfg))
        .isEqualTo("42");
    assertThatThrownBy(
            () ->
                SseConnection.lastEventId(
                    TestRequest.get("/").with("Last-Event-ID", "1").with("Last-Event-ID", "2"),
                    cfg))
        .isInstanceOfSatisfying(
            HandshakeRejection.class, r -> assertThat(r.status()).isEqualTo(400))
        .hasMessageContaining("at most once");
    assertThatThrownBy(
            () ->
                SseConnection.lastEventId(
                    TestRequest.get("/").with("Last-Event-ID", "123456789"), cfg))
        .isInstanceOfSatisfying(
            HandshakeRejection.class, r -> assertThat(r.status()).isEqualTo(400))
        .hasMessageContaining("at most 8 characters, got 9");
  }

  @Test
  void badConfigurationIsRejectedByName() {
    assertThatThrownBy(() -> SseConfig.builder().keepalivePeriod(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("keepalivePeriod");
    assertThatThrownBy(() -> SseConfig.builder().maxQueuedBytes(0).build())
        .hasMessageContaining("maxQueuedBytes must be positive: 0");
    assertThatThrownBy(() -> SseConfig.builder().writeTimeout(Duration.ZERO).build())
        .hasMessageContaining("writeTimeout");
  }
}
