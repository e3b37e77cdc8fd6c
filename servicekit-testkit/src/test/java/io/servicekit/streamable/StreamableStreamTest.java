package io.servicekit.streamable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.servicekit.internal.driver.StreamableStream;
import io.servicekit.testkit.FakeRequest;
import io.servicekit.testkit.FakeScheduler;
import io.servicekit.testkit.MemoryStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The stream driver against an in-memory transport, on virtual time with real threads (its
 * producers block on the stream's budget, which tier 1 cannot run yet); the non-blocking cases are
 * also in {@code io.servicekit.tier1.StreamableStreamT1Test}.
 */
class StreamableStreamTest {
  private static final io.servicekit.Request REQUEST =
      FakeRequest.builder().method("POST").path("/mcp").build();

  private final FakeScheduler clock = new FakeScheduler();
  private final MemoryStream wire = new MemoryStream();

  /** Waits (real threads) until the response is over; true if it ended normally. */
  private boolean ended() throws Exception {
    wire.whenDone().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return wire.ended();
  }

  /** Waits (real threads) until the response is over; true if it was aborted. */
  private boolean aborted() throws Exception {
    wire.whenDone().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return wire.aborted().isPresent();
  }

  private StreamableConfig.Builder config() {
    return StreamableConfig.builder().scheduler(clock).keepalivePeriod(Duration.ZERO);
  }

  @Test
  void writesEventsThenEndsWhenTheProducerReturns() throws Exception {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    BlockingQueue<String> closes = new LinkedBlockingQueue<>();
    stream.open(
        wire,
        sink -> {
          sink.onClose(() -> closes.add("closed"));
          sink.send("a", "1", "x");
          sink.comment("note");
          sink.retry(Duration.ofMillis(1500));
        });
    assertThat(ended()).isTrue();
    assertThat(wire.text()).isEqualTo("event: a\nid: 1\ndata: x\n\n: note\n\nretry: 1500\n\n");
    assertThat(closes.poll(10, TimeUnit.SECONDS)).isEqualTo("closed");
    assertThat(stream.endReason()).hasValue("stream ended");
    assertThat(stream.isOpen()).isFalse();
    // Registered after the end: runs at once, exactly once.
    stream.onClose(() -> closes.add("late"));
    assertThat(closes.poll(10, TimeUnit.SECONDS)).isEqualTo("late");
    assertThatThrownBy(() -> stream.send(null, null, "after"))
        .isInstanceOf(StreamClosedException.class)
        .hasMessageContaining("stream closed");
  }

  @Test
  void sendBlocksOnAFullQueueUntilTheClientReads() throws Exception {
    wire.holdWrites();
    StreamableStream stream =
        new StreamableStream(config().queueCapacity(2).build(), REQUEST, "test");
    AtomicInteger sent = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Thread> producer = new AtomicReference<>();
    stream.open(
        wire,
        sink -> {
          producer.set(Thread.currentThread());
          for (int i = 0; i < 5; i++) {
            sink.send(null, null, "e" + i);
            sent.incrementAndGet();
          }
          release.await();
        });
    // Two events fit (one in flight counts), the third send blocks.
    await().until(() -> sent.get() == 2 && isWaiting(producer.get()));
    assertThat(sent).hasValue(2);
    wire.completeAllWrites();
    await().until(() -> sent.get() == 5);
    release.countDown();
    assertThat(ended()).isTrue();
    assertThat(wire.text()).contains("data: e4\n\n");
  }

  @Test
  void byteBudgetAlsoBlocksButAnOversizedEventPassesAlone() throws Exception {
    wire.holdWrites();
    StreamableStream stream =
        new StreamableStream(
            config().queueCapacity(100).maxQueuedBytes(64).build(), REQUEST, "test");
    AtomicInteger sent = new AtomicInteger();
    AtomicReference<Thread> producer = new AtomicReference<>();
    stream.open(
        wire,
        sink -> {
          producer.set(Thread.currentThread());
          sink.send(null, null, "y".repeat(200)); // bigger than the budget: accepted alone
          sent.incrementAndGet();
          sink.send(null, null, "z");
          sent.incrementAndGet();
        });
    await().until(() -> sent.get() == 1 && isWaiting(producer.get()));
    wire.completeAllWrites();
    assertThat(ended()).isTrue();
    assertThat(sent).hasValue(2);
  }

  /** W-40: the client leaves while the producer is blocked on a full queue. */
  @Test
  void transportFailureWakesABlockedProducerWithStreamClosedException() throws Exception {
    wire.holdWrites();
    StreamableStream stream =
        new StreamableStream(config().queueCapacity(1).build(), REQUEST, "test");
    AtomicReference<Thread> producer = new AtomicReference<>();
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    CountDownLatch closed = new CountDownLatch(1);
    stream.open(
        wire,
        sink -> {
          producer.set(Thread.currentThread());
          sink.onClose(closed::countDown);
          try {
            while (true) {
              sink.send(null, null, "x");
            }
          } catch (Throwable e) {
            outcome.set(e);
            throw e;
          }
        });
    await().until(() -> producer.get() != null && isWaiting(producer.get()));
    stream.onTransportFailure(new IOException("client gone (test)"));
    assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue();
    producer.get().join(Duration.ofSeconds(10));
    assertThat(producer.get().isAlive()).isFalse();
    assertThat(outcome.get())
        .isInstanceOf(StreamClosedException.class)
        .hasMessageContaining("client gone");
    assertThat(stream.endReason()).hasValueSatisfying(r -> assertThat(r).contains("client gone"));
    assertThat(wire.aborted()).isPresent();
  }

  @Test
  void clientGoneInterruptsAProducerBlockedElsewhere() throws Exception {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    BlockingQueue<Throwable> outcome = new LinkedBlockingQueue<>();
    CountDownLatch started = new CountDownLatch(1);
    stream.open(
        wire,
        sink -> {
          started.countDown();
          try {
            new CountDownLatch(1).await(); // the application's own wait
          } catch (InterruptedException e) {
            outcome.add(e);
          }
        });
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    stream.onTransportFailure(new IOException("client gone (test)"));
    assertThat(outcome.poll(10, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
  }

  @Test
  void producerExceptionEndsTheStreamAfterFlushing() throws Exception {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    stream.open(
        wire,
        sink -> {
          sink.send(null, null, "partial");
          throw new IllegalStateException("broken producer (expected by the test)");
        });
    assertThat(ended()).isTrue();
    assertThat(wire.text()).isEqualTo("data: partial\n\n");
  }

  @Test
  void keepalivesWhileIdleAndNotAfterTheEnd() throws Exception {
    StreamableStream stream =
        new StreamableStream(
            config().keepalivePeriod(Duration.ofSeconds(10)).build(), REQUEST, "test");
    CountDownLatch release = new CountDownLatch(1);
    stream.open(wire, sink -> release.await());
    clock.advanceBy(Duration.ofSeconds(10));
    clock.advanceBy(Duration.ofSeconds(10));
    assertThat(wire.text()).isEqualTo(": keepalive\n\n: keepalive\n\n");
    release.countDown();
    assertThat(ended()).isTrue();
    clock.advanceBy(Duration.ofSeconds(30));
    assertThat(wire.text()).isEqualTo(": keepalive\n\n: keepalive\n\n");
  }

  @Test
  void retryHintOpensTheStream() throws Exception {
    StreamableStream stream =
        new StreamableStream(config().retry(Duration.ofSeconds(3)).build(), REQUEST, "test");
    stream.open(wire, sink -> {});
    assertThat(ended()).isTrue();
    assertThat(wire.text()).isEqualTo("retry: 3000\n\n");
  }

  @Test
  void writeTimeoutDropsAStalledClient() throws Exception {
    wire.holdWrites();
    StreamableStream stream =
        new StreamableStream(config().writeTimeout(Duration.ofSeconds(5)).build(), REQUEST, "test");
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    stream.open(
        wire,
        sink -> {
          try {
            sink.send(null, null, "stuck");
            sink.send(null, null, "stuck again");
            new CountDownLatch(1).await();
          } catch (Throwable e) {
            outcome.set(e);
          } finally {
            done.countDown();
          }
        });
    await().until(() -> wire.heldWrites() >= 1);
    clock.advanceBy(Duration.ofSeconds(5));
    assertThat(aborted()).isTrue();
    assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(stream.endReason()).hasValueSatisfying(r -> assertThat(r).contains("write timeout"));
    assertThat(outcome.get()).isNotNull();
  }

  @Test
  void invalidRetryIsRefused() throws Exception {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();
    stream.open(
        wire,
        sink -> {
          try {
            sink.retry(Duration.ZERO);
          } catch (IllegalArgumentException e) {
            errors.add(e);
          }
        });
    assertThat(errors.poll(10, TimeUnit.SECONDS)).hasMessageContaining("at least 1 ms");
  }

  @Test
  void openTwiceIsAnError() {
    StreamableStream stream = new StreamableStream(config().build(), REQUEST, "test");
    stream.open(wire, sink -> {});
    assertThatThrownBy(() -> stream.open(wire, sink -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("twice");
  }

  private static boolean isWaiting(Thread t) {
    return t != null && t.getState() == Thread.State.WAITING;
  }
}
