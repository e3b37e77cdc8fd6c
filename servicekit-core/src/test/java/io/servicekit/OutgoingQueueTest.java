package io.servicekit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OutgoingQueueTest {
  private static final String KB = "x".repeat(1024);

  private final FakeTransport transport = new FakeTransport();

  private WsConnection<Object> open(SlowConsumerPolicy policy, long maxQueuedBytes) {
    WsConnConfig config =
        WsConnConfig.builder()
            .maxQueuedBytes(maxQueuedBytes)
            .slowConsumerPolicy(policy)
            .pingPeriod(Duration.ofHours(1))
            .pongPeriod(Duration.ofHours(1))
            .build();
    WsConnection<Object> c =
        new WsConnection<>(new JsonConn("T"), config, StubRequest.of("h"), null);
    transport.bind(c);
    c.open(transport);
    return c;
  }

  @Test
  void framesAreWrittenInOrderWithOneInFlight() {
    WsConnection<Object> c = open(SlowConsumerPolicy.CLOSE, 1 << 20);
    transport.hold(true);
    for (int i = 0; i < 5; i++) {
      assertThat(c.send(Frame.text("m" + i))).isTrue();
    }
    assertThat(transport.written).containsExactly("m0");
    assertThat(transport.pendingWrites()).isEqualTo(1);
    assertThat(c.queuedBytes()).isEqualTo(10);
    for (int i = 0; i < 5; i++) {
      transport.completeOne();
    }
    assertThat(transport.written).containsExactly("m0", "m1", "m2", "m3", "m4");
    assertThat(c.queuedBytes()).isZero();
  }

  @Test
  void synchronousCompletionsDrainWithoutRecursion() {
    WsConnection<Object> c = open(SlowConsumerPolicy.CLOSE, 1L << 30);
    for (int i = 0; i < 100_000; i++) {
      c.send(Frame.text("a"));
    }
    assertThat(transport.written).hasSize(100_000);
    assertThat(c.queuedBytes()).isZero();
  }

  @Test
  void closePolicyClosesWith1008WhenTheBudgetIsExceeded() throws Exception {
    WsConnection<Object> c = open(SlowConsumerPolicy.CLOSE, 4 * 1024);
    transport.hold(true);
    for (int i = 0; i < 4; i++) {
      assertThat(c.send(Frame.text(KB))).isTrue();
    }
    assertThat(c.send(Frame.text(KB))).isFalse();
    assertThat(c.isOpen()).isFalse();
    assertThat(c.send(Frame.text("later"))).isFalse();
    transport.completeOne(); // the frame in flight when the budget ran out
    transport.completeOne(); // the close frame, which the peer answers
    CloseStatus status = c.closeFuture().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(status.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
    assertThat(status.reason()).contains("slow consumer").contains("4096");
  }

  @Test
  void dropNewestRefusesTheNewFrameAndKeepsTheConnection() {
    WsConnection<Object> c = open(SlowConsumerPolicy.DROP_NEWEST, 3 * 1024);
    transport.hold(true);
    assertThat(c.send(Frame.text(KB + "1"))).isTrue(); // 1025 bytes in flight
    assertThat(c.send(Frame.text(KB))).isTrue();
    assertThat(c.send(Frame.text(KB))).isFalse();
    assertThat(c.isOpen()).isTrue();
    assertThat(c.droppedMessages()).isEqualTo(1);
  }

  @Test
  void dropOldestEvictsQueuedFramesButNeverTheOneBeingWritten() {
    WsConnection<Object> c = open(SlowConsumerPolicy.DROP_OLDEST, 3 * 1024);
    transport.hold(true);
    c.send(Frame.text("A" + KB.substring(1)));
    c.send(Frame.text("B" + KB.substring(1)));
    c.send(Frame.text("C" + KB.substring(1)));
    assertThat(c.send(Frame.text("D" + KB.substring(1)))).isTrue(); // evicts B
    assertThat(c.droppedMessages()).isEqualTo(1);
    transport.hold(false);
    transport.completeOne();
    assertThat(transport.written.stream().map(o -> ((String) o).charAt(0)).toList())
        .isEqualTo(List.of('A', 'C', 'D'));
  }

  @Test
  void aFrameBiggerThanTheBudgetIsDroppedUnderDropOldest() {
    WsConnection<Object> c = open(SlowConsumerPolicy.DROP_OLDEST, 1024);
    assertThat(c.send(Frame.text(KB + KB))).isFalse();
    assertThat(c.isOpen()).isTrue();
  }

  @Test
  void gracefulCloseFlushesQueuedFramesBeforeTheCloseFrame() throws Exception {
    WsConnection<Object> c = open(SlowConsumerPolicy.CLOSE, 1 << 20);
    transport.hold(true);
    c.send(Frame.text("one"));
    c.send(Frame.text("two"));
    assertThat(c.close(4000, "done")).isTrue();
    assertThat(c.close(4001, "again")).isFalse();
    assertThat(c.send(Frame.text("three"))).isFalse();
    transport.hold(false);
    transport.completeOne();
    assertThat(transport.written).containsExactly("one", "two", CloseStatus.received(4000, "done"));
    assertThat(c.closeFuture().toCompletableFuture().get(5, TimeUnit.SECONDS))
        .isEqualTo(CloseStatus.of(4000, "done"));
  }

  @Test
  void aWriteFailureClosesTheConnectionWithAReason() throws Exception {
    WsConnection<Object> c = open(SlowConsumerPolicy.CLOSE, 1 << 20);
    transport.hold(true);
    c.send(Frame.text("one"));
    transport.failOne(new java.io.IOException("broken pipe"));
    assertThat(transport.aborts.get()).isEqualTo(1);
    CloseStatus status = c.closeFuture().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(status.code()).isEqualTo(CloseStatus.GOING_AWAY);
    assertThat(status.reason()).contains("write failed").contains("broken pipe");
    assertThat(c.send(Frame.text("two"))).isFalse();
  }
}
