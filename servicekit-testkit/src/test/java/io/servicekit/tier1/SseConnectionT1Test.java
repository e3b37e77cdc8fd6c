package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.Rejection;
import io.servicekit.Request;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.internal.driver.SseConnection;
import io.servicekit.sse.SseConfig;
import io.servicekit.sse.SseEvent;
import io.servicekit.sse.SseSession;
import io.servicekit.sse.StreamEnd;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryStream;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Tier 1: the SSE driver ({@link SseConnection}) on virtual time over an in-memory transport. Moved
 * from servicekit-core, where it waited for real threads; here every callback runs on the test
 * thread inside {@code runUntilIdle}/{@code advanceBy}.
 */
class SseConnectionT1Test {
  private final VirtualScheduler time = new VirtualScheduler();

  private static Request get(String path) {
    return FakeRequest.builder().path(path).build();
  }

  private static Request lastEventId(String... values) {
    FakeRequest.Builder b = FakeRequest.builder().path("/");
    for (String v : values) {
      b.header("Last-Event-ID", v);
    }
    return b.build();
  }

  private SseConfig.Builder config() {
    return SseConfig.builder().scheduler(time);
  }

  private static SseConnection<Object> open(SseProbe conn, SseConfig config, MemoryStream t) {
    SseConnection<Object> c = new SseConnection<>(conn, config, get("/sse"), null);
    c.open(t);
    return c;
  }

  /** Runs onStart; the first (header-committing) write has happened after it. */
  private void started(MemoryStream t) {
    time.runUntilIdle();
    assertThat(t.writes()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void eventsSentInOnStartAreWrittenInOrderAfterAHeaderFlush() {
    MemoryStream t = new MemoryStream();
    SseProbe conn =
        new SseProbe(
            s -> {
              s.send(SseEvent.of("one"));
            });
    SseConnection<Object> c = open(conn, config().build(), t);
    started(t);
    assertThat(c.sendEventWithId("update", "evt-1", Map.of("key", "value"))).isTrue();
    assertThat(c.sendEvent("alert", Map.of("level", "warning"))).isTrue();
    assertThat(c.send(Map.of("status", "updated"))).isTrue();
    assertThat(t.text())
        .isEqualTo(
            "data: one\n\n"
                + "event: update\nid: evt-1\ndata: {\"key\":\"value\"}\n\n"
                + "event: alert\ndata: {\"level\":\"warning\"}\n\n"
                + "data: {\"status\":\"updated\"}\n\n");
  }

  @Test
  void aConfiguredRetryHintIsTheFirstThingWritten() {
    MemoryStream t = new MemoryStream();
    open(new SseProbe(), config().retry(Duration.ofMillis(1500)).build(), t);
    started(t);
    assertThat(t.text()).isEqualTo("retry: 1500\n\n");
  }

  @Test
  void nothingIsWrittenUntilOnStartReturns() {
    MemoryStream t = new MemoryStream();
    List<Integer> writesInStart = new CopyOnWriteArrayList<>();
    SseProbe conn =
        new SseProbe(
            s -> {
              s.send(SseEvent.of("early"));
              writesInStart.add(t.writes());
            });
    SseConnection<Object> c = open(conn, config().build(), t);
    assertThat(t.writes()).isZero();
    time.runUntilIdle();
    assertThat(writesInStart).containsExactly(0);
    assertThat(t.text()).isEqualTo("data: early\n\n");
  }

  @Test
  void keepalivesFollowThePeriodOnTheInjectedScheduler() {
    MemoryStream t = new MemoryStream();
    open(new SseProbe(), config().keepalivePeriod(Duration.ofSeconds(30)).build(), t);
    started(t);
    time.advanceBy(Duration.ofSeconds(29));
    assertThat(t.text()).isEmpty();
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(t.text()).isEqualTo(": keepalive\n\n");
    time.advanceBy(Duration.ofSeconds(60));
    assertThat(t.text()).isEqualTo(": keepalive\n\n".repeat(3));
  }

  @Test
  void keepaliveZeroDisablesIt() {
    MemoryStream t = new MemoryStream();
    open(new SseProbe(), config().keepalivePeriod(Duration.ZERO).build(), t);
    started(t);
    time.advanceBy(Duration.ofHours(1));
    assertThat(t.text()).isEmpty();
  }

  @Test
  void closeWritesWhatIsQueuedThenEndsAndRunsOnCloseOnce() {
    MemoryStream t = new MemoryStream();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c = open(conn, config().build(), t);
    started(t);
    c.send("last");
    assertThat(c.close()).isTrue();
    assertThat(c.close()).isFalse();
    assertThat(c.send("after")).isFalse();
    time.runUntilIdle();
    assertThat(conn.closes).hasSize(1);
    assertThat(t.ended()).isTrue();
    assertThat(t.text()).isEqualTo("data: \"last\"\n\n");
    assertThat(conn.closes.get(0).reason()).isEqualTo(StreamEnd.Reason.CLOSED);
    c.onTransportFailure(new RuntimeException("late"));
    c.abort();
    assertThat(c.closeFuture().toCompletableFuture().join().reason())
        .isEqualTo(StreamEnd.Reason.CLOSED);
    assertThat(conn.closes).hasSize(1);
    time.advanceBy(Duration.ofMinutes(5));
    assertThat(t.text()).as("no keepalive after close").isEqualTo("data: \"last\"\n\n");
  }

  @Test
  void clientGoneRunsOnCloseOnceAndRefusesSends() {
    MemoryStream t = new MemoryStream();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c = open(conn, config().build(), t);
    started(t);
    c.onTransportFailure(new java.io.EOFException("gone"));
    c.onTransportFailure(new java.io.EOFException("again"));
    time.runUntilIdle();
    assertThat(conn.closes).hasSize(1);
    assertThat(conn.closes.get(0).reason()).isEqualTo(StreamEnd.Reason.DISCONNECTED);
    assertThat(conn.closes.get(0).detail()).contains("gone");
    assertThat(t.aborted()).isPresent();
    assertThat(c.send("x")).isFalse();
    assertThat(c.isOpen()).isFalse();
  }

  @Test
  void onStartFailureAnswers500InsteadOfAStreamAndStillRunsOnClose() {
    MemoryStream t = new MemoryStream();
    SseProbe conn =
        new SseProbe(
            s -> {
              s.send(SseEvent.of("never written"));
              throw new IllegalStateException("boom");
            });
    SseConnection<Object> c = open(conn, config().build(), t);
    time.runUntilIdle();
    assertThat(conn.closes).hasSize(1);
    assertThat(t.rejectStatus()).isEqualTo(500);
    assertThat(t.writes()).isZero();
    assertThat(conn.closes.get(0).reason()).isEqualTo(StreamEnd.Reason.START_FAILED);
  }

  @Test
  void onStartRejectionAndNoContentChooseTheStatus() {
    MemoryStream t = new MemoryStream();
    SseProbe conn =
        new SseProbe(
            s -> {
              throw Rejection.of(403, "no feed for you");
            });
    SseConnection<Object> c = open(conn, config().build(), t);
    time.runUntilIdle();
    assertThat(conn.closes).hasSize(1);
    assertThat(t.rejectStatus()).isEqualTo(403);
    assertThat(t.rejectBody()).isEqualTo("no feed for you");

    MemoryStream t2 = new MemoryStream();
    SseProbe conn2 =
        new SseProbe(
            s -> {
              throw Rejection.noContent("feed over");
            });
    open(conn2, config().build(), t2);
    time.runUntilIdle();
    assertThat(conn2.closes).hasSize(1);
    assertThat(t2.rejectStatus()).isEqualTo(204);
  }

  @Test
  void sendsBeforeStartReturnFalse() {
    SseConnection<Object> c =
        new SseConnection<>(new SseProbe(), config().build(), get("/sse"), null);
    assertThat(c.send("x")).isFalse();
    assertThat(c.send(SseEvent.of("x"))).isFalse();
    assertThat(c.isOpen()).isFalse();
    assertThat(c.close()).as("nothing to close before open").isFalse();
    assertThat(c.closeFuture().toCompletableFuture()).isNotDone();
  }

  @Test
  void theDriverHandsBothCallbacksTheSameSessionWithItsRequest() {
    MemoryStream t = new MemoryStream();
    List<SseSession<Object>> opened = new CopyOnWriteArrayList<>();
    SseProbe conn = new SseProbe(opened::add);
    Request request = lastEventId("41");
    SseConfig cfg = config().build();
    SseConnection<Object> c =
        new SseConnection<>(conn, cfg, request, SseConnection.lastEventId(request, cfg));
    c.open(t);
    started(t);
    assertThat(opened).containsExactly(c);
    assertThat(c.request()).isSameAs(request);
    assertThat(c.lastEventId()).hasValue("41");
    assertThat(c.id())
        .isNotBlank()
        .isNotEqualTo(new SseConnection<>(conn, cfg, request, null).id());
    List<StreamEnd> seen = new CopyOnWriteArrayList<>();
    c.whenClosed(seen::add);
    c.abort();
    time.runUntilIdle();
    assertThat(conn.closedSessions).containsExactly(c);
    assertThat(seen).extracting(StreamEnd::reason).containsExactly(StreamEnd.Reason.ABORTED);
    c.whenClosed(seen::add); // after the end: at once
    assertThat(seen).hasSize(2);
  }

  @Test
  void slowConsumerIsDroppedWhenTheBudgetIsExceeded() {
    MemoryStream t = new MemoryStream().holdWrites();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c = open(conn, config().maxQueuedBytes(100).build(), t);
    started(t); // the empty header write is in flight and never completes
    String payload = "x".repeat(30);
    assertThat(c.send(SseEvent.of(payload))).isTrue(); // 38 bytes
    assertThat(c.send(SseEvent.of(payload))).isTrue(); // 76
    assertThat(c.send(SseEvent.of(payload))).isFalse(); // 114 > 100
    time.runUntilIdle();
    assertThat(conn.closes).hasSize(1);
    assertThat(conn.closes.get(0).reason()).isEqualTo(StreamEnd.Reason.SLOW_CONSUMER);
    assertThat(conn.closes.get(0).detail()).contains("100 bytes");
    assertThat(t.aborted()).isPresent();
  }

  @Test
  void dropNewestKeepsTheStreamAndCountsDrops() {
    MemoryStream t = new MemoryStream().holdWrites();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c =
        open(
            conn,
            config().maxQueuedBytes(100).slowConsumerPolicy(SlowConsumerPolicy.DROP_NEWEST).build(),
            t);
    started(t);
    String payload = "x".repeat(30);
    c.send(SseEvent.of(payload + "1"));
    c.send(SseEvent.of(payload + "2"));
    assertThat(c.send(SseEvent.of(payload + "3"))).isFalse();
    assertThat(c.droppedMessages()).isEqualTo(1);
    assertThat(c.queuedBytes()).isLessThanOrEqualTo(100);
    t.completeAllWrites();
    assertThat(t.text()).isEqualTo("data: " + payload + "1\n\ndata: " + payload + "2\n\n");
    assertThat(c.isOpen()).isTrue();
  }

  @Test
  void dropOldestKeepsTheNewest() {
    MemoryStream t = new MemoryStream().holdWrites();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c =
        open(
            conn,
            config().maxQueuedBytes(100).slowConsumerPolicy(SlowConsumerPolicy.DROP_OLDEST).build(),
            t);
    started(t);
    String payload = "x".repeat(30);
    c.send(SseEvent.of(payload + "1"));
    c.send(SseEvent.of(payload + "2"));
    assertThat(c.send(SseEvent.of(payload + "3"))).isTrue();
    assertThat(c.droppedMessages()).isEqualTo(1);
    t.completeAllWrites();
    assertThat(t.text()).isEqualTo("data: " + payload + "2\n\ndata: " + payload + "3\n\n");
  }

  @Test
  void aWriteThatNeverCompletesTimesOut() {
    MemoryStream t = new MemoryStream().holdWrites();
    SseProbe conn = new SseProbe();
    open(
        conn,
        config().writeTimeout(Duration.ofSeconds(10)).keepalivePeriod(Duration.ZERO).build(),
        t);
    started(t);
    time.advanceBy(Duration.ofSeconds(9));
    assertThat(conn.closes).isEmpty();
    time.advanceBy(Duration.ofSeconds(1));
    time.runUntilIdle();
    assertThat(conn.closes).hasSize(1);
    assertThat(conn.closes.get(0).reason()).isEqualTo(StreamEnd.Reason.WRITE_TIMEOUT);
    assertThat(t.aborted()).isPresent();
  }

  @Test
  void writesThatKeepCompletingNeverTimeOut() {
    MemoryStream t = new MemoryStream();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c = open(conn, config().writeTimeout(Duration.ofSeconds(10)).build(), t);
    started(t);
    for (int i = 0; i < 10; i++) {
      c.send(i);
      time.advanceBy(Duration.ofSeconds(5));
    }
    assertThat(conn.closes).isEmpty();
  }

  @Test
  void injectionIsRejectedWithAClearError() {
    MemoryStream t = new MemoryStream();
    SseProbe conn = new SseProbe();
    SseConnection<Object> c = open(conn, config().build(), t);
    started(t);
    assertThatThrownBy(() -> c.sendEvent("evil\ndata: x", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("event name");
    assertThatThrownBy(() -> c.sendEventWithId("e", "1\r\n", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("event id");
    assertThatThrownBy(() -> c.sendRetry(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(t.text()).isEmpty();
    assertThat(c.sendRetry(Duration.ofMillis(3000))).isTrue();
    assertThat(c.sendComment("keepalive")).isTrue();
    assertThat(t.text()).isEqualTo("retry: 3000\n\n: keepalive\n\n");
  }

  @Test
  void lastEventIdHeaderIsChecked() {
    SseConfig cfg = config().maxLastEventIdLength(8).build();
    assertThat(SseConnection.lastEventId(get("/"), cfg)).isNull();
    assertThat(SseConnection.lastEventId(lastEventId(""), cfg)).isNull();
    assertThat(SseConnection.lastEventId(lastEventId("42"), cfg)).isEqualTo("42");
    assertThatThrownBy(() -> SseConnection.lastEventId(lastEventId("1", "2"), cfg))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.status()).isEqualTo(400))
        .hasMessageContaining("at most once");
    assertThatThrownBy(() -> SseConnection.lastEventId(lastEventId("123456789"), cfg))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.status()).isEqualTo(400))
        .hasMessageContaining("at most 8 characters, got 9");
  }

  @Test
  void badConfigurationIsRejectedByName() {
    assertThatThrownBy(() -> SseConfig.builder().keepalivePeriod(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("keepalivePeriod");
    assertThatThrownBy(() -> SseConfig.builder().maxQueuedBytes(0).build())
        .hasMessageContaining("maxQueuedBytes must be positive, was 0");
    assertThatThrownBy(() -> SseConfig.builder().writeTimeout(Duration.ZERO).build())
        .hasMessageContaining("writeTimeout");
  }

  /**
   * SSE has the WebSocket ordering: whenClosed actions run after onClose and before the close
   * future completes (also one registered in onOpen), in order; one added after the end runs at
   * once.
   */
  @Test
  void whenClosedRunsAfterOnCloseBeforeTheCloseFutureAndAtOnceAfterTheEnd() {
    MemoryStream t = new MemoryStream();
    List<String> order = new CopyOnWriteArrayList<>();
    SseProbe conn =
        new SseProbe(s -> s.whenClosed(end -> order.add("from onOpen " + end.reason())));
    SseConnection<Object> c = open(conn, config().build(), t);
    started(t);
    c.whenClosed(
        end ->
            order.add(
                "onClose calls "
                    + conn.closes.size()
                    + ", future done "
                    + c.closeFuture().toCompletableFuture().isDone()));
    c.closeFuture().thenAccept(end -> order.add("closeFuture " + end.reason()));
    c.onTransportFailure(new java.io.EOFException("gone"));
    assertThat(order).isEmpty();
    time.runUntilIdle();
    assertThat(order)
        .containsExactly(
            "from onOpen DISCONNECTED",
            "onClose calls 1, future done false",
            "closeFuture DISCONNECTED");
    c.whenClosed(end -> order.add("late " + end.reason()));
    assertThat(order).hasSize(4).last().isEqualTo("late DISCONNECTED");
    assertThat(conn.closes).hasSize(1);
  }
}
