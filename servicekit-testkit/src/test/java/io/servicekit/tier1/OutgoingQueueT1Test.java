package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.CloseStatus;
import io.servicekit.Message;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.WsConfig;
import io.servicekit.WsListener;
import io.servicekit.internal.driver.WsConnection;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.MemoryWs;
import io.servicekit.testkit.MemoryWs.Sent;
import io.servicekit.testkit.VirtualScheduler;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tier 1: the WebSocket driver's outgoing queue (order, one write in flight, budget, slow-consumer
 * policies, close flush, write failure) over {@link MemoryWs} on virtual time. Moved from
 * servicekit-core, where it ran over a private fake transport and real threads.
 */
class OutgoingQueueT1Test {
  private static final String KB = "x".repeat(1024);

  private final VirtualScheduler time = new VirtualScheduler();
  private MemoryWs transport;

  private WsConnection<Object, Object> open(SlowConsumerPolicy policy, long maxQueuedBytes) {
    WsConfig config =
        WsConfig.builder()
            .maxQueuedBytes(maxQueuedBytes)
            .slowConsumerPolicy(policy)
            .pingPeriod(Duration.ofHours(1))
            .pongPeriod(Duration.ofHours(1))
            .scheduler(time)
            .build();
    WsConnection<Object, Object> c =
        new WsConnection<>(
            WsListener.json("T", (session, message) -> {}),
            config,
            FakeRequest.builder().build(),
            null);
    transport = new MemoryWs(c);
    c.open(transport);
    return c;
  }

  @Test
  void framesAreWrittenInOrderWithOneInFlight() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.CLOSE, 1 << 20);
    transport.holdWrites();
    for (int i = 0; i < 5; i++) {
      assertThat(c.sendMessage(Message.text("m" + i))).isTrue();
    }
    assertThat(transport.sentTexts()).containsExactly("m0");
    assertThat(transport.heldWrites()).isEqualTo(1);
    assertThat(c.queuedBytes()).isEqualTo(10);
    for (int i = 0; i < 5; i++) {
      transport.completeWrite();
    }
    assertThat(transport.sentTexts()).containsExactly("m0", "m1", "m2", "m3", "m4");
    assertThat(c.queuedBytes()).isZero();
  }

  @Test
  void synchronousCompletionsDrainWithoutRecursion() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.CLOSE, 1L << 30);
    for (int i = 0; i < 100_000; i++) {
      c.sendMessage(Message.text("a"));
    }
    assertThat(transport.sent()).hasSize(100_000);
    assertThat(c.queuedBytes()).isZero();
  }

  @Test
  void closePolicyClosesWith1008WhenTheBudgetIsExceeded() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.CLOSE, 4 * 1024);
    transport.holdWrites();
    for (int i = 0; i < 4; i++) {
      assertThat(c.sendMessage(Message.text(KB))).isTrue();
    }
    assertThat(c.sendMessage(Message.text(KB))).isFalse();
    assertThat(c.isOpen()).isFalse();
    assertThat(c.sendMessage(Message.text("later"))).isFalse();
    transport.completeWrite(); // the frame in flight when the budget ran out
    transport.completeWrite(); // the close frame, which the peer answers
    time.runUntilIdle();
    CloseStatus status = c.closeFuture().toCompletableFuture().getNow(null);
    assertThat(status.code()).isEqualTo(CloseStatus.POLICY_VIOLATION);
    assertThat(status.reason()).contains("slow consumer").contains("4096");
  }

  @Test
  void dropNewestRefusesTheNewFrameAndKeepsTheConnection() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.DROP_NEWEST, 3 * 1024);
    transport.holdWrites();
    assertThat(c.sendMessage(Message.text(KB + "1"))).isTrue(); // 1025 bytes in flight
    assertThat(c.sendMessage(Message.text(KB))).isTrue();
    assertThat(c.sendMessage(Message.text(KB))).isFalse();
    assertThat(c.isOpen()).isTrue();
    assertThat(c.droppedMessages()).isEqualTo(1);
  }

  @Test
  void dropOldestEvictsQueuedFramesButNeverTheOneBeingWritten() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.DROP_OLDEST, 3 * 1024);
    transport.holdWrites();
    c.sendMessage(Message.text("A" + KB.substring(1)));
    c.sendMessage(Message.text("B" + KB.substring(1)));
    c.sendMessage(Message.text("C" + KB.substring(1)));
    assertThat(c.sendMessage(Message.text("D" + KB.substring(1)))).isTrue(); // evicts B
    assertThat(c.droppedMessages()).isEqualTo(1);
    transport.completeAllWrites();
    assertThat(transport.sentTexts().stream().map(t -> t.charAt(0)).toList())
        .isEqualTo(List.of('A', 'C', 'D'));
  }

  @Test
  void aFrameBiggerThanTheBudgetIsDroppedUnderDropOldest() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.DROP_OLDEST, 1024);
    assertThat(c.sendMessage(Message.text(KB + KB))).isFalse();
    assertThat(c.isOpen()).isTrue();
  }

  @Test
  void gracefulCloseFlushesQueuedFramesBeforeTheCloseFrame() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.CLOSE, 1 << 20);
    transport.holdWrites();
    c.sendMessage(Message.text("one"));
    c.sendMessage(Message.text("two"));
    assertThat(c.close(4000, "done")).isTrue();
    assertThat(c.close(4001, "again")).isFalse();
    assertThat(c.sendMessage(Message.text("three"))).isFalse();
    transport.completeAllWrites();
    assertThat(transport.sent())
        .containsExactly(new Sent.Text("one"), new Sent.Text("two"), new Sent.Close(4000, "done"));
    time.runUntilIdle();
    assertThat(c.closeFuture().toCompletableFuture().getNow(null))
        .isEqualTo(CloseStatus.of(4000, "done"));
  }

  @Test
  void aWriteFailureClosesTheConnectionWithAReason() {
    WsConnection<Object, Object> c = open(SlowConsumerPolicy.CLOSE, 1 << 20);
    transport.holdWrites();
    c.sendMessage(Message.text("one"));
    transport.failWrite(new java.io.IOException("broken pipe"));
    assertThat(transport.aborts()).isEqualTo(1);
    time.runUntilIdle();
    CloseStatus status = c.closeFuture().toCompletableFuture().getNow(null);
    assertThat(status.code()).isEqualTo(CloseStatus.GOING_AWAY);
    assertThat(status.reason()).contains("write failed").contains("broken pipe");
    assertThat(c.sendMessage(Message.text("two"))).isFalse();
  }
}
