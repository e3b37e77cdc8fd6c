package io.servicekit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.Scheduler;
import io.servicekit.SlowConsumerPolicy;
import io.servicekit.internal.WriteQueue.Offer;
import io.servicekit.spi.Transport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** The queue on its own, with a sink the test drives: who writes, when, and what is accounted. */
class WriteQueueTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final Scheduler clock =
      new Scheduler() {
        @Override
        public Cancellable schedule(Runnable task, java.time.Duration delay) {
          throw new UnsupportedOperationException("the queue schedules nothing");
        }

        @Override
        public long nanoTime() {
          return now.get();
        }
      };

  private final List<String> written = Collections.synchronizedList(new ArrayList<>());
  private final List<Thread> writers = Collections.synchronizedList(new ArrayList<>());
  private final ConcurrentLinkedQueue<Transport.WriteCallback> pending =
      new ConcurrentLinkedQueue<>();
  private final List<Long> started = Collections.synchronizedList(new ArrayList<>());
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final WriteQueue.Listener listener =
      new WriteQueue.Listener() {
        @Override
        public void writeStarted(long nanoTime) {
          started.add(nanoTime);
        }

        @Override
        public void writeFailed(Throwable cause) {
          failures.add(cause);
        }
      };

  /** What the sink does with each write after recording it. */
  private BiConsumer<String, Transport.WriteCallback> onWrite = (item, callback) -> {};

  private WriteQueue<String> queue(long maxBytes, boolean held) {
    return new WriteQueue<>(
        (item, callback) -> {
          written.add(item);
          writers.add(Thread.currentThread());
          onWrite.accept(item, callback);
        },
        clock,
        maxBytes,
        listener,
        held);
  }

  private void completeSynchronously() {
    onWrite = (item, callback) -> callback.succeeded();
  }

  private void holdWrites() {
    onWrite = (item, callback) -> pending.add(callback);
  }

  @Test
  void anItemOfferedToAnIdleQueueIsWrittenBeforeOfferReturnsInTheCallersThread() {
    completeSynchronously();
    WriteQueue<String> q = queue(100, false);

    assertThat(q.offer("a", 10, SlowConsumerPolicy.CLOSE)).isEqualTo(Offer.QUEUED);

    assertThat(written).containsExactly("a");
    assertThat(writers).containsExactly(Thread.currentThread());
    assertThat(started).containsExactly(1_000L);
    assertThat(q.queuedBytes()).isZero();
    assertThat(q.inFlightSince()).isEqualTo(-1);
  }

  @Test
  void itemsOfferedDuringAPendingWriteWaitInOrderAndTheCompletionWritesThem() throws Exception {
    holdWrites();
    WriteQueue<String> q = queue(100, false);
    q.offer("a", 10, SlowConsumerPolicy.CLOSE);
    now.set(2_000);
    q.offer("b", 20, SlowConsumerPolicy.CLOSE);
    q.offer("c", 30, SlowConsumerPolicy.CLOSE);

    assertThat(written).containsExactly("a");
    assertThat(q.queuedBytes()).isEqualTo(60); // the item in flight counts
    assertThat(q.inFlightSince()).isEqualTo(1_000);

    // The completion arrives on another thread: it accounts and writes the next item there.
    Thread completer = Thread.ofPlatform().start(() -> pending.poll().succeeded());
    completer.join(10_000);
    assertThat(written).containsExactly("a", "b");
    assertThat(writers.get(1)).isSameAs(completer);
    assertThat(q.queuedBytes()).isEqualTo(50);
    assertThat(q.inFlightSince()).isEqualTo(2_000);

    completeSynchronously();
    pending.poll().succeeded(); // b done; c completes synchronously within the same loop
    assertThat(written).containsExactly("a", "b", "c");
    assertThat(q.queuedBytes()).isZero();
    assertThat(q.inFlightSince()).isEqualTo(-1);
  }

  @Test
  void aCompletionFromAnotherThreadBeforeTheSinkReturnsIsContinuedByTheWriterOnce()
      throws Exception {
    WriteQueue<String> q = queue(100, false);
    onWrite =
        (item, callback) -> {
          if (item.equals("a")) {
            q.offer("b", 1, SlowConsumerPolicy.CLOSE); // re-entrant: queued behind a
          }
          Thread t = Thread.ofPlatform().start(callback::succeeded);
          try {
            t.join(10_000);
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        };

    q.offer("a", 1, SlowConsumerPolicy.CLOSE);

    assertThat(written).containsExactly("a", "b");
    assertThat(writers).containsOnly(Thread.currentThread());
    assertThat(q.queuedBytes()).isZero();
  }

  @Test
  void synchronousCompletionsOfManyQueuedItemsDoNotRecurse() {
    holdWrites();
    WriteQueue<String> q = queue(1 << 20, false);
    q.offer("first", 1, SlowConsumerPolicy.CLOSE);
    for (int i = 0; i < 50_000; i++) {
      q.offer("x", 1, SlowConsumerPolicy.CLOSE);
    }
    completeSynchronously();
    pending.poll().succeeded(); // would overflow the stack if each completion recursed

    assertThat(written).hasSize(50_001);
    assertThat(q.queuedBytes()).isZero();
  }

  @Test
  void theBudgetCountsTheItemInFlightAndEachPolicyApplies() {
    holdWrites();
    WriteQueue<String> q = queue(100, false);
    q.offer("a", 60, SlowConsumerPolicy.CLOSE);
    q.offer("b", 30, SlowConsumerPolicy.CLOSE);

    assertThat(q.offer("c", 20, SlowConsumerPolicy.CLOSE)).isEqualTo(Offer.OVERFLOW);
    assertThat(q.offer("c", 20, SlowConsumerPolicy.DROP_NEWEST)).isEqualTo(Offer.DROPPED);
    // DROP_OLDEST drops queued b (never the in-flight a) to make room for c.
    assertThat(q.offer("c", 20, SlowConsumerPolicy.DROP_OLDEST)).isEqualTo(Offer.QUEUED);
    assertThat(q.dropped()).isEqualTo(2);
    assertThat(q.queuedBytes()).isEqualTo(80);
    // Bigger than the room left beside the item in flight: refused, and c is not dropped for it.
    assertThat(q.offer("d", 50, SlowConsumerPolicy.DROP_OLDEST)).isEqualTo(Offer.DROPPED);
    assertThat(q.dropped()).isEqualTo(3);
    assertThat(q.queuedBytes()).isEqualTo(80);

    completeSynchronously();
    pending.poll().succeeded();
    assertThat(written).containsExactly("a", "c");
    assertThat(q.queuedBytes()).isZero();
  }

  @Test
  void theLastItemIsWrittenAfterEverythingQueuedAndNothingIsAcceptedAfterIt() {
    holdWrites();
    WriteQueue<String> q = queue(10, false);
    q.offer("a", 10, SlowConsumerPolicy.CLOSE);
    q.offerLast("close"); // never counted against the budget
    assertThat(q.offer("late", 1, SlowConsumerPolicy.CLOSE)).isEqualTo(Offer.CLOSED);

    completeSynchronously();
    pending.poll().succeeded();
    assertThat(written).containsExactly("a", "close");
    assertThat(q.offer("later", 1, SlowConsumerPolicy.CLOSE)).isEqualTo(Offer.CLOSED);
  }

  @Test
  void aHeldQueueWritesNothingUntilReleasedThenEverythingInOrder() {
    completeSynchronously();
    WriteQueue<String> q = queue(100, true);
    q.offer("a", 1, SlowConsumerPolicy.CLOSE);
    q.offer("b", 1, SlowConsumerPolicy.CLOSE);
    assertThat(written).isEmpty();
    assertThat(q.inFlightSince()).isEqualTo(-1);

    q.release();
    q.release(); // later calls do nothing

    assertThat(written).containsExactly("a", "b");
    assertThat(q.queuedBytes()).isZero();
  }

  @Test
  void aSinkThatThrowsFailsTheQueueOnceAndDiscardsWhatWaits() {
    holdWrites();
    WriteQueue<String> q = queue(100, false);
    q.offer("a", 10, SlowConsumerPolicy.CLOSE);
    q.offer("b", 10, SlowConsumerPolicy.CLOSE);
    onWrite =
        (item, callback) -> {
          throw new IllegalStateException("transport gone");
        };
    pending.poll().succeeded(); // a done; the loop writes b, whose sink call throws

    assertThat(written).containsExactly("a", "b");
    assertThat(failures).hasSize(1);
    assertThat(failures.get(0)).hasMessage("transport gone");
    assertThat(q.queuedBytes()).isZero();
    assertThat(q.offer("c", 1, SlowConsumerPolicy.CLOSE)).isEqualTo(Offer.CLOSED);
  }

  @Test
  void anAsynchronousFailureDiscardsWhatWaitsAndReportsOnce() {
    holdWrites();
    WriteQueue<String> q = queue(100, false);
    q.offer("a", 10, SlowConsumerPolicy.CLOSE);
    q.offer("b", 10, SlowConsumerPolicy.CLOSE);

    pending.poll().failed(new IOException("reset"));

    assertThat(written).containsExactly("a");
    assertThat(failures).extracting(Throwable::getMessage).containsExactly("reset");
    assertThat(q.queuedBytes()).isZero();
    assertThat(q.inFlightSince()).isEqualTo(-1);
    assertThat(q.offer("c", 1, SlowConsumerPolicy.CLOSE)).isEqualTo(Offer.CLOSED);
  }

  @Test
  void clearDiscardsWhatWaitsButKeepsTheInFlightItemCounted() {
    holdWrites();
    WriteQueue<String> q = queue(100, false);
    q.offer("a", 10, SlowConsumerPolicy.CLOSE);
    q.offer("b", 20, SlowConsumerPolicy.CLOSE);

    q.clear();

    assertThat(q.queuedBytes()).isEqualTo(10);
    assertThat(q.offer("c", 1, SlowConsumerPolicy.CLOSE)).isEqualTo(Offer.CLOSED);
    pending.poll().succeeded();
    assertThat(written).containsExactly("a");
    assertThat(q.queuedBytes()).isZero();
    assertThat(pending).isEmpty();
  }
}
