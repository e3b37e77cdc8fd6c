package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.CloseException;
import io.servicekit.CloseStatus;
import io.servicekit.Codec;
import io.servicekit.DecodeException;
import io.servicekit.ErrorAction;
import io.servicekit.Message;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.WsSession;
import io.servicekit.internal.driver.WsConnection;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryWs;
import io.servicekit.testkit.MemoryWs.Sent;
import io.servicekit.testkit.VirtualScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Tier 1: the WebSocket driver ({@link WsConnection}) on virtual time over an in-memory transport.
 * Every callback runs on the test thread inside {@code runUntilIdle}/{@code advanceBy}: no socket,
 * no sleep, no waiting.
 */
class WsConnectionT1Test {
  private static final Duration HOUR = Duration.ofHours(1);

  private final VirtualScheduler time = new VirtualScheduler();
  private final Recorder conn = new Recorder();
  private WsConnection<String, String> connection;
  private MemoryWs ws;

  /** A listener that records what the driver tells it and behaves as each test scripts. */
  static final class Recorder implements WsListener<String, String> {
    final List<String> events = new ArrayList<>();
    final List<String> received = new ArrayList<>();
    WsSession<String> session;
    CloseStatus closed;
    int timeouts;
    boolean keepOnTimeout;
    Exception onStartThrows;
    Function<Throwable, ErrorAction> onError = e -> ErrorAction.CLOSE;

    @Override
    public String name() {
      return "t1";
    }

    @Override
    public Codec<String, String> codec() {
      return CODEC;
    }

    @Override
    public void onOpen(WsSession<String> session) throws Exception {
      this.session = session;
      events.add("start");
      if (onStartThrows != null) {
        throw onStartThrows;
      }
    }

    @Override
    public void onMessage(WsSession<String> session, String message) throws Exception {
      received.add(message);
      if (message.startsWith("fail")) {
        throw new IllegalStateException("handler failed on " + message);
      }
      if (message.startsWith("close-me")) {
        throw new CloseException(4001, "told to close");
      }
      session.send("echo:" + message);
    }

    @Override
    public ErrorAction onError(WsSession<String> session, Throwable error) {
      events.add("error:" + error.getMessage());
      return onError.apply(error);
    }

    @Override
    public boolean onTimeout(WsSession<String> session) {
      timeouts++;
      events.add("timeout");
      return !keepOnTimeout;
    }

    @Override
    public void onClose(WsSession<String> session, CloseStatus status) {
      events.add("close:" + status.code());
      closed = status;
    }

    @Override
    public void onHeartbeat(WsSession<String> session, long pingId) {
      session.sendMessage(Message.text("ping"));
    }
  }

  /** Text as it is; binary as {@code binary:<length>}. */
  static final Codec<String, String> CODEC =
      new Codec<>() {
        @Override
        public String decode(Message frame) throws DecodeException {
          return switch (frame) {
            case Message.Text t -> t.text();
            case Message.Binary b -> "binary:" + b.bytes().length;
          };
        }

        @Override
        public Message encode(String message) {
          return Message.text(message);
        }
      };

  private WsConfig.Builder config() {
    return WsConfig.builder()
        .scheduler(time)
        .pingPeriod(HOUR)
        .pongPeriod(HOUR)
        .writeTimeout(HOUR)
        .closeTimeout(HOUR);
  }

  private void open(WsConfig.Builder config) {
    connection = new WsConnection<>(conn, config.build(), FakeRequest.builder().build(), null);
    ws = new MemoryWs(connection);
    connection.open(ws);
  }

  private static Sent.Close closeFrame(int code, String reason) {
    return new Sent.Close(code, reason);
  }

  @Test
  void onStartRunsBeforeAnyMessageAndMessagesWaitForDemand() {
    open(config());
    ws.peerText("early");
    assertThat(conn.events).isEmpty(); // nothing runs until the test lets it
    assertThat(ws.undelivered()).isEqualTo(1);
    time.runUntilIdle();
    assertThat(conn.events).containsExactly("start");
    assertThat(conn.received).containsExactly("early");
    assertThat(ws.sentTexts()).containsExactly("echo:early");
    assertThat(ws.undelivered()).isZero();
  }

  @Test
  void aConnectionTheBindingEndsBeforeItOpensGetsOnCloseOnlyAndALateOpenDropsTheTransport() {
    connection = new WsConnection<>(conn, config().build(), FakeRequest.builder().build(), null);
    List<CloseStatus> whenClosed = new ArrayList<>();
    connection.whenClosed(whenClosed::add);
    connection.onClosed(CloseStatus.ABNORMAL, "dropped during the upgrade");
    time.runUntilIdle();
    assertThat(conn.events).containsExactly("close:1006"); // what accept set up is released
    assertThat(whenClosed).extracting(CloseStatus::code).containsExactly(CloseStatus.ABNORMAL);
    assertThat(connection.closeFuture().toCompletableFuture()).isCompleted();

    ws = new MemoryWs(connection);
    connection.open(ws); // late: the transport is dropped, nothing runs (before: "called twice")
    time.runUntilIdle();
    assertThat(conn.events).containsExactly("close:1006");
    assertThat(ws.aborts()).isEqualTo(1);
    assertThat(ws.sent()).isEmpty();
    assertThat(time.pendingTasks()).isZero(); // no heartbeat armed
  }

  @Test
  void heartbeatIsSentOnSchedule() {
    open(config().pingPeriod(Duration.ofSeconds(10)));
    time.runUntilIdle();
    time.advanceBy(Duration.ofSeconds(9));
    assertThat(ws.sentTexts()).isEmpty();
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(ws.sentTexts()).containsExactly("ping");
    time.advanceBy(Duration.ofSeconds(20));
    assertThat(ws.sentTexts()).containsExactly("ping", "ping", "ping");
    assertThat(connection.isOpen()).isTrue();
  }

  @Test
  void silencePastThePongDeadlineCallsOnTimeoutAndClosesWith1001() {
    open(config().pongPeriod(Duration.ofSeconds(30)));
    time.runUntilIdle();
    time.advanceBy(Duration.ofSeconds(20));
    ws.peerPong(); // activity: the deadline moves to 50 s
    time.advanceBy(Duration.ofSeconds(29));
    assertThat(conn.timeouts).isZero();
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(conn.timeouts).isEqualTo(1);
    assertThat(ws.sentClose())
        .contains(
            closeFrame(CloseStatus.GOING_AWAY, "heartbeat timeout: nothing received for 30s"));
    time.runUntilIdle(); // the peer answered the close frame at once
    assertThat(conn.closed.code()).isEqualTo(CloseStatus.GOING_AWAY);
    assertThat(conn.events).containsExactly("start", "timeout", "close:1001");
    assertThat(time.pendingTasks()).isZero(); // every timer cancelled on the way out
  }

  @Test
  void aMessageAlsoCountsAsActivity() {
    open(config().pongPeriod(Duration.ofSeconds(30)));
    time.runUntilIdle();
    time.advanceBy(Duration.ofSeconds(25));
    ws.peerText("hello");
    time.advanceBy(Duration.ofSeconds(29));
    assertThat(conn.timeouts).isZero();
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(conn.timeouts).isEqualTo(1);
  }

  @Test
  void onTimeoutReturningFalseKeepsTheConnectionAndLooksAgainAPeriodLater() {
    conn.keepOnTimeout = true;
    open(config().pongPeriod(Duration.ofSeconds(30)));
    time.runUntilIdle();
    time.advanceBy(Duration.ofSeconds(30));
    assertThat(conn.timeouts).isEqualTo(1);
    assertThat(connection.isOpen()).isTrue();
    assertThat(ws.sentClose()).isEmpty();
    ws.peerText("still here"); // the connection still works: read, handled, answered
    time.runUntilIdle();
    assertThat(ws.sentTexts()).containsExactly("echo:still here");
    time.advanceBy(Duration.ofSeconds(29));
    assertThat(conn.timeouts).isEqualTo(1);
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(conn.timeouts).isEqualTo(2);
    assertThat(connection.isOpen()).isTrue();
  }

  @Test
  void onErrorContinueKeepsTheConnectionAndReadsOn() {
    conn.onError = e -> ErrorAction.CONTINUE;
    open(config());
    ws.peerText("fail-1");
    ws.peerText("after");
    time.runUntilIdle();
    assertThat(conn.received).containsExactly("fail-1", "after");
    assertThat(conn.events).containsExactly("start", "error:handler failed on fail-1");
    assertThat(ws.sentTexts()).containsExactly("echo:after");
    assertThat(connection.isOpen()).isTrue();
  }

  @Test
  void onErrorCloseClosesWith1011AndAGenericReason() {
    open(config());
    ws.peerText("fail-1");
    ws.peerText("never handled");
    time.runUntilIdle();
    assertThat(ws.sentClose()).contains(closeFrame(CloseStatus.INTERNAL_ERROR, "internal error"));
    assertThat(conn.received).containsExactly("fail-1");
    assertThat(conn.closed.code()).isEqualTo(CloseStatus.INTERNAL_ERROR);
  }

  @Test
  void aCloseExceptionClosesWithItsOwnStatus() {
    open(config());
    ws.peerText("close-me");
    time.runUntilIdle();
    assertThat(ws.sentClose()).contains(closeFrame(4001, "told to close"));
    assertThat(conn.closed).isEqualTo(CloseStatus.of(4001, "told to close"));
  }

  @Test
  void onErrorThrowingCountsAsClose() {
    conn.onError =
        e -> {
          throw new IllegalStateException("onError broke");
        };
    open(config());
    ws.peerText("fail-1");
    time.runUntilIdle();
    assertThat(ws.sentClose()).contains(closeFrame(CloseStatus.INTERNAL_ERROR, "internal error"));
  }

  @Test
  void onStartThrowingClosesWith1011() {
    conn.onStartThrows = new IOException("no database");
    open(config());
    time.runUntilIdle();
    assertThat(ws.sentClose()).contains(closeFrame(CloseStatus.INTERNAL_ERROR, "internal error"));
    assertThat(conn.events).containsExactly("start", "close:1011");
  }

  @Test
  void onStartThrowingACloseExceptionClosesWithItsStatus() {
    conn.onStartThrows = new CloseException(4403, "forbidden");
    open(config());
    time.runUntilIdle();
    assertThat(ws.sentClose()).contains(closeFrame(4403, "forbidden"));
    assertThat(conn.closed.code()).isEqualTo(4403);
  }

  @Test
  void aPeerThatNeverAnswersTheCloseFrameIsAbortedAfterTheCloseTimeout() {
    open(config().closeTimeout(Duration.ofSeconds(5)));
    ws.ignoreCloses();
    time.runUntilIdle();
    assertThat(conn.session.close(CloseStatus.of(CloseStatus.NORMAL, "bye"))).isTrue();
    time.runUntilIdle();
    assertThat(ws.sentClose()).contains(closeFrame(CloseStatus.NORMAL, "bye"));
    time.advanceBy(Duration.ofMillis(4999));
    assertThat(ws.aborts()).isZero();
    assertThat(conn.closed).isNull();
    time.advanceBy(Duration.ofMillis(1));
    assertThat(ws.aborts()).isEqualTo(1);
    time.runUntilIdle();
    assertThat(conn.closed).isEqualTo(CloseStatus.of(CloseStatus.NORMAL, "bye"));
  }

  @Test
  void aPeerThatAnswersTheCloseEndsTheConnectionWithoutAbort() {
    open(config().closeTimeout(Duration.ofSeconds(5)));
    time.runUntilIdle();
    conn.session.close(CloseStatus.of(CloseStatus.NORMAL, "bye"));
    time.runUntilIdle();
    assertThat(conn.closed).isEqualTo(CloseStatus.of(CloseStatus.NORMAL, "bye"));
    assertThat(ws.aborts()).isZero();
    assertThat(time.pendingTasks()).isZero(); // the close timer was cancelled
  }

  @Test
  void aWriteThatNeverCompletesIsAbortedByTheWatchdogAfterTheWriteTimeout() {
    open(config().writeTimeout(Duration.ofSeconds(5)));
    ws.holdWrites();
    time.runUntilIdle();
    assertThat(conn.session.sendMessage(Message.text("stuck"))).isTrue();
    time.advanceBy(Duration.ofMillis(4999));
    assertThat(ws.aborts()).isZero();
    time.advanceBy(Duration.ofMillis(1));
    assertThat(ws.aborts()).isEqualTo(1);
    time.runUntilIdle();
    assertThat(conn.closed.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
    assertThat(conn.closed.reason()).isEqualTo("write timeout: peer read nothing for 5000ms");
  }

  @Test
  void aWriteThatCompletesInTimeKeepsTheConnection() {
    open(config().writeTimeout(Duration.ofSeconds(5)));
    ws.holdWrites();
    time.runUntilIdle();
    conn.session.sendMessage(Message.text("slow"));
    time.advanceBy(Duration.ofSeconds(4));
    ws.completeWrite();
    time.advanceBy(Duration.ofSeconds(10));
    assertThat(ws.aborts()).isZero();
    assertThat(connection.isOpen()).isTrue();
  }

  @Test
  void slowConsumerCloseEndsTheConnectionWith1008() {
    open(config().maxQueuedBytes(10).slowConsumerPolicy(SlowConsumerPolicy.CLOSE));
    ws.holdWrites();
    time.runUntilIdle();
    assertThat(conn.session.sendMessage(Message.text("01234"))).isTrue(); // in flight, counted
    assertThat(conn.session.sendMessage(Message.text("56789"))).isTrue(); // queued: at the budget
    assertThat(conn.session.sendMessage(Message.text("x"))).isFalse(); // over it
    assertThat(connection.isOpen()).isFalse();
    assertThat(ws.sentClose())
        .contains(
            closeFrame(CloseStatus.POLICY_VIOLATION, "slow consumer: more than 10 bytes queued"));
    ws.completeAllWrites();
    time.runUntilIdle();
    assertThat(conn.closed.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
  }

  @Test
  void slowConsumerDropOldestKeepsTheNewestAndCountsTheDropped() {
    open(config().maxQueuedBytes(3).slowConsumerPolicy(SlowConsumerPolicy.DROP_OLDEST));
    ws.holdWrites();
    time.runUntilIdle();
    for (String m : List.of("a", "b", "c", "d")) {
      assertThat(conn.session.sendMessage(Message.text(m))).isTrue();
    }
    assertThat(connection.isOpen()).isTrue();
    ws.completeAllWrites();
    time.runUntilIdle();
    assertThat(ws.sentTexts()).containsExactly("a", "c", "d"); // "a" was in flight; "b" dropped
    assertThat(connection.droppedMessages()).isEqualTo(1);
  }

  @Test
  void abortDropsTheConnectionWithoutACloseFrame() {
    open(config());
    time.runUntilIdle();
    conn.session.sendMessage(Message.text("queued"));
    conn.session.abort();
    time.runUntilIdle();
    assertThat(ws.aborts()).isEqualTo(1);
    assertThat(ws.sentClose()).isEmpty();
    assertThat(conn.closed).isEqualTo(CloseStatus.received(CloseStatus.ABNORMAL, "aborted"));
    assertThat(connection.closeFuture().toCompletableFuture()).isCompletedWithValue(conn.closed);
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void thePeersCloseEndsTheConnectionWithThePeersStatus() {
    open(config());
    time.runUntilIdle();
    ws.peerClose(4000, "done here");
    time.runUntilIdle();
    assertThat(conn.closed).isEqualTo(CloseStatus.received(4000, "done here"));
    assertThat(connection.isOpen()).isFalse();
  }

  @Test
  void aDroppedConnectionEndsWith1006() {
    open(config());
    time.runUntilIdle();
    ws.drop();
    time.runUntilIdle();
    assertThat(conn.closed.code()).isEqualTo(CloseStatus.ABNORMAL);
    assertThat(conn.session.sendMessage(Message.text("late"))).isFalse();
  }

  @Test
  void aJsonPongIsAbsorbedAndCountsAsLiveness() {
    open(config().pongPeriod(Duration.ofSeconds(30)));
    time.runUntilIdle();
    time.advanceBy(Duration.ofSeconds(20));
    ws.peerText("{\"type\":\"pong\",\"id\":1}"); // the deadline moves to 50 s
    time.advanceBy(Duration.ofSeconds(29));
    assertThat(conn.timeouts).isZero();
    assertThat(conn.received).isEmpty(); // the pong never reached the handler
    assertThat(ws.undelivered()).isZero(); // and did not hold up the next read
    time.advanceBy(Duration.ofSeconds(1));
    assertThat(conn.timeouts).isEqualTo(1);
  }

  @Test
  void aJsonPongReachesTheHandlerWhenAbsorbingIsOff() {
    open(config().absorbPongs(false));
    ws.peerText("{\"type\":\"pong\",\"id\":1}");
    time.runUntilIdle();
    assertThat(conn.received).containsExactly("{\"type\":\"pong\",\"id\":1}");
  }

  @Test
  void binaryMessagesAreDecodedAndDeliveredInOrderWithText() {
    open(config());
    ws.peerBinary(new byte[] {1, 2, 3});
    ws.peerText("t");
    time.runUntilIdle();
    assertThat(conn.received).containsExactly("binary:3", "t");
    assertThat(ws.sentTexts()).containsExactly("echo:binary:3", "echo:t");
  }
}
