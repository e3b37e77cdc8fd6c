package io.servicekit.tier1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.servicekit.SlowConsumerPolicy;
import io.servicekit.internal.lifecycle.Lifecycle;
import io.servicekit.internal.lifecycle.Lifecycle.FailRule;
import io.servicekit.internal.lifecycle.Lifecycle.State;
import io.servicekit.spi.Transport;
import io.servicekit.testkit.VirtualScheduler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Tier 1: the lifecycle shell the three server-side drivers share ({@link Lifecycle}), on virtual
 * time with a recording protocol: it ends exactly once whatever races to end it, runs no callback
 * after the close callback, and leaves no timer behind.
 */
class LifecycleT1Test {
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(5);

  private final VirtualScheduler time = new VirtualScheduler();

  /** Records every hook call; writes complete at once unless held. */
  static final class Probe implements Lifecycle.Protocol<String, String> {
    final List<String> written = new CopyOnWriteArrayList<>();
    final List<Transport.WriteCallback> heldWrites = new CopyOnWriteArrayList<>();
    final List<String> events = new CopyOnWriteArrayList<>();
    final List<String> endedWith = new CopyOnWriteArrayList<>();
    final List<String> delivered = new CopyOnWriteArrayList<>();
    volatile boolean holdWrites;
    volatile Lifecycle<String, String> life;

    @Override
    public void write(String item, Transport.WriteCallback callback) {
      written.add(item);
      if (holdWrites) {
        heldWrites.add(callback);
      } else {
        callback.succeeded();
      }
    }

    @Override
    public void writeFailed(Throwable cause) {
      events.add("writeFailed " + cause.getMessage());
      life.fail("write failed");
    }

    @Override
    public void writeStuck() {
      events.add("writeStuck");
      life.fail("write timeout");
    }

    @Override
    public void slowConsumer() {
      events.add("slowConsumer");
      life.fail("slow consumer");
    }

    @Override
    public void ended(String end, boolean failed) {
      endedWith.add(end + (failed ? " (failed)" : ""));
    }

    @Override
    public void deliverEnd(String end) {
      delivered.add(end);
    }
  }

  private Lifecycle<String, String> lifecycle(Probe probe, FailRule rule, boolean held) {
    Lifecycle<String, String> life =
        new Lifecycle<>("conn-1", time, "test-serial", 100, held, WRITE_TIMEOUT, rule, probe);
    probe.life = life;
    return life;
  }

  private static String closeValue(Lifecycle<String, String> life) {
    AtomicReference<String> value = new AtomicReference<>();
    life.closeFuture().thenAccept(value::set);
    return value.get();
  }

  @Test
  void opensOnceAndNamesTheConnectionWhenOpenedTwice() {
    Lifecycle<String, String> life = lifecycle(new Probe(), FailRule.FIRST_END_WINS, false);
    assertThat(life.state()).isEqualTo(State.NEW);
    assertThat(life.send("early", 5, SlowConsumerPolicy.CLOSE)).isFalse();
    assertThat(life.beginFail("too early")).isFalse();
    assertThat(life.close("too early")).isFalse();
    assertThat(life.open()).isTrue();
    assertThat(life.isOpen()).isTrue();
    assertThatThrownBy(life::open)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("open() called twice for conn-1");
    life.end("done");
    assertThatThrownBy(life::open) // ended after it opened: still a second open
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("open() called twice for conn-1");
  }

  @Test
  void anEndBeforeOpenStillRunsTheCloseCallbackOnceAndOpenThenAnswersFalse() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    List<String> actions = new ArrayList<>();
    life.whenClosed(actions::add);
    assertThat(life.end("dropped before open")).isTrue();
    time.runUntilIdle();
    assertThat(probe.endedWith).containsExactly("dropped before open");
    assertThat(probe.delivered).containsExactly("dropped before open"); // cleanup always runs
    assertThat(actions).containsExactly("dropped before open");
    assertThat(closeValue(life)).isEqualTo("dropped before open");
    assertThat(life.open()).isFalse();
    assertThat(life.state()).isEqualTo(State.CLOSED);
  }

  @Test
  void gracefulCloseEndsOnceWithTheCloseEndAfterTheTerminalItem() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    life.open();
    assertThat(life.send("a", 1, SlowConsumerPolicy.CLOSE)).isTrue();
    assertThat(life.close("bye")).isTrue();
    assertThat(life.close("again")).isFalse();
    assertThat(life.state()).isEqualTo(State.CLOSING);
    assertThat(life.send("late", 4, SlowConsumerPolicy.CLOSE)).isFalse();
    life.queue().offerLast("END");

    assertThat(life.end(life.localEndOr("default"))).isTrue();
    assertThat(life.end("peer")).isFalse();
    assertThat(life.fail("boom")).isFalse();
    assertThat(life.abort("abort", () -> probe.events.add("dropped"))).isFalse();
    assertThat(life.endValue()).isEqualTo("bye");
    assertThat(probe.delivered).isEmpty(); // on the serial executor, not in the ending thread
    time.runUntilIdle();

    assertThat(probe.written).containsExactly("a", "END");
    assertThat(probe.endedWith).containsExactly("bye");
    assertThat(probe.delivered).containsExactly("bye");
    assertThat(probe.events).isEmpty();
    assertThat(closeValue(life)).isEqualTo("bye");
  }

  @Test
  void firstEndWinsKeepsTheCloseEndWhenAFailureFollows() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    life.open();
    life.close("1000 bye");
    assertThat(life.abort("1006 aborted", () -> probe.events.add("dropped"))).isTrue();
    time.runUntilIdle();
    assertThat(probe.events).containsExactly("dropped");
    assertThat(probe.endedWith).containsExactly("1000 bye (failed)");
    assertThat(probe.delivered).containsExactly("1000 bye");
  }

  @Test
  void failureReplacesCloseReportsTheFailure() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FAILURE_REPLACES_CLOSE, false);
    life.open();
    life.close("closed by the server");
    assertThat(life.fail("client gone")).isTrue();
    assertThat(life.fail("second failure")).isFalse();
    time.runUntilIdle();
    assertThat(probe.delivered).containsExactly("client gone");
    assertThat(life.localEnd()).isEqualTo("client gone");
  }

  @Test
  void beginFailDropsTheQueueButWaitsForTheEnd() {
    Probe probe = new Probe();
    probe.holdWrites = true;
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    life.open();
    life.send("in flight", 9, SlowConsumerPolicy.CLOSE);
    life.send("queued", 6, SlowConsumerPolicy.CLOSE);
    assertThat(life.queue().queuedBytes()).isEqualTo(15);

    assertThat(life.beginFail("slow consumer")).isTrue();
    assertThat(life.state()).isEqualTo(State.CLOSING);
    assertThat(life.queue().queuedBytes()).isEqualTo(9); // only the write in flight is left
    time.runUntilIdle();
    assertThat(probe.delivered).isEmpty();

    assertThat(life.end(life.localEndOr("peer closed"))).isTrue();
    time.runUntilIdle();
    assertThat(probe.delivered).containsExactly("slow consumer");
    assertThat(probe.written).containsExactly("in flight");
  }

  @Test
  void callbacksQueuedBeforeTheEndRunBeforeTheCloseCallbackAndNoneAfter() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    List<String> order = new ArrayList<>();
    life.open();
    life.callbacks().execute(() -> order.add("message 1"));
    life.callbacks().execute(() -> order.add("message 2"));
    life.end("peer closed");
    life.callbacks()
        .execute(
            () -> {
              if (life.isOpen()) {
                order.add("message after the end");
              }
            });
    probe.delivered.clear();
    time.runUntilIdle();
    order.addAll(probe.delivered);
    assertThat(order).containsExactly("message 1", "message 2", "peer closed");
  }

  @Test
  void theEndCancelsEveryTimerAndATimerArmedAfterItIsCancelledAtOnce() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    Lifecycle<String, String>.Timer tick = life.timer();
    Lifecycle<String, String>.Timer close = life.timer();
    List<Duration> ticks = new ArrayList<>();
    life.open();
    tick.repeat(() -> ticks.add(time.now()), Duration.ofSeconds(10));
    close.schedule(() -> ticks.add(Duration.ZERO), Duration.ofSeconds(60));
    time.advanceBy(Duration.ofSeconds(25));
    assertThat(ticks).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20));
    assertThat(time.pendingTasks()).isEqualTo(2);

    life.end("done");
    time.runUntilIdle();
    assertThat(time.pendingTasks()).isZero();
    close.schedule(() -> ticks.add(Duration.ZERO), Duration.ofSeconds(1));
    close.scheduleOnce(() -> ticks.add(Duration.ZERO), Duration.ofSeconds(1));
    assertThat(time.pendingTasks()).isZero();
    time.advanceBy(Duration.ofMinutes(5));
    assertThat(ticks).hasSize(2);
  }

  @Test
  void repeatStopsTickingOnceTheConnectionIsClosing() {
    Lifecycle<String, String> life = lifecycle(new Probe(), FailRule.FIRST_END_WINS, false);
    Lifecycle<String, String>.Timer tick = life.timer();
    List<Duration> ticks = new ArrayList<>();
    life.open();
    tick.repeat(() -> ticks.add(time.now()), Duration.ofSeconds(10));
    time.advanceBy(Duration.ofSeconds(10));
    life.close("bye");
    time.advanceBy(Duration.ofSeconds(60));
    assertThat(ticks).containsExactly(Duration.ofSeconds(10));
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void aStuckWriteEndsTheConnectionThroughTheProtocolOnce() {
    Probe probe = new Probe();
    probe.holdWrites = true;
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    life.open();
    life.send("never read", 10, SlowConsumerPolicy.CLOSE);
    time.advanceBy(WRITE_TIMEOUT.minusMillis(1));
    assertThat(probe.events).isEmpty();
    time.advanceBy(Duration.ofMillis(1));
    assertThat(probe.events).containsExactly("writeStuck");
    assertThat(probe.delivered).containsExactly("write timeout");
    // The transport failing the stuck write afterwards changes nothing.
    probe.heldWrites.get(0).failed(new IOException("reset"));
    time.advanceBy(Duration.ofMinutes(1));
    assertThat(probe.delivered).containsExactly("write timeout");
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void aFailedWriteIsReportedAndEndsTheConnection() {
    Probe probe = new Probe();
    probe.holdWrites = true;
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    life.open();
    life.send("x", 1, SlowConsumerPolicy.CLOSE);
    probe.heldWrites.get(0).failed(new IOException("broken pipe"));
    time.runUntilIdle();
    assertThat(probe.events).containsExactly("writeFailed broken pipe");
    assertThat(probe.endedWith).containsExactly("write failed (failed)");
    assertThat(probe.delivered).containsExactly("write failed");
  }

  @Test
  void overflowUnderCloseCallsSlowConsumerAndDropPoliciesRefuse() {
    Probe probe = new Probe();
    probe.holdWrites = true;
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    life.open();
    assertThat(life.send("first", 60, SlowConsumerPolicy.CLOSE)).isTrue();
    assertThat(life.send("too big", 50, SlowConsumerPolicy.DROP_NEWEST)).isFalse();
    assertThat(life.queue().dropped()).isEqualTo(1);
    assertThat(probe.events).isEmpty();
    assertThat(life.send("too big", 50, SlowConsumerPolicy.CLOSE)).isFalse();
    time.runUntilIdle();
    assertThat(probe.events).containsExactly("slowConsumer");
    assertThat(probe.delivered).containsExactly("slow consumer");
  }

  @Test
  void aHeldQueueWritesNothingUntilReleased() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FAILURE_REPLACES_CLOSE, true);
    life.open();
    life.send("a", 1, SlowConsumerPolicy.CLOSE);
    life.send("b", 1, SlowConsumerPolicy.CLOSE);
    time.advanceBy(WRITE_TIMEOUT.multipliedBy(2)); // a held queue has no write in flight
    assertThat(probe.written).isEmpty();
    assertThat(probe.events).isEmpty();
    life.queue().release();
    assertThat(probe.written).containsExactly("a", "b");
  }

  /** Real threads race every way to end; whatever wins, the end runs once and nothing is left. */
  @Test
  void racingEndsEndExactlyOnce() throws InterruptedException {
    for (int round = 0; round < 200; round++) {
      Probe probe = new Probe();
      Lifecycle<String, String> life =
          lifecycle(
              probe,
              round % 2 == 0 ? FailRule.FIRST_END_WINS : FailRule.FAILURE_REPLACES_CLOSE,
              false);
      Lifecycle<String, String>.Timer tick = life.timer();
      life.open();
      tick.repeat(() -> {}, Duration.ofSeconds(1));
      List<Runnable> racers =
          List.of(
              () -> {
                if (life.close("close")) {
                  life.queue().offerLast("END");
                  life.end(life.localEndOr("close"));
                }
              },
              () -> life.fail("fail"),
              () -> life.abort("abort", () -> {}),
              () -> life.end(life.localEndOr("peer")),
              () -> tick.schedule(() -> {}, Duration.ofSeconds(1)),
              () -> life.send("x", 1, SlowConsumerPolicy.CLOSE));
      List<Thread> threads = new ArrayList<>();
      for (Runnable r : racers) {
        threads.add(Thread.ofPlatform().start(r));
      }
      for (Thread t : threads) {
        t.join();
      }
      time.runUntilIdle();
      assertThat(probe.endedWith).hasSize(1);
      assertThat(probe.delivered).hasSize(1).containsAnyOf("close", "fail", "abort", "peer");
      assertThat(life.state()).isEqualTo(State.CLOSED);
      assertThat(closeValue(life)).isEqualTo(probe.delivered.get(0));
      assertThat(time.pendingTasks()).as("round %d", round).isZero();
    }
  }

  /**
   * The one whenClosed list: actions run on the serial executor after the close callback and before
   * the close future, in registration order (one that throws does not stop the others), also those
   * added between the end and the close callback; one added afterwards runs at once.
   */
  @Test
  void whenClosedRunsAfterTheCloseCallbackBeforeTheFutureAndALateOneAtOnce() {
    Probe probe = new Probe();
    Lifecycle<String, String> life = lifecycle(probe, FailRule.FIRST_END_WINS, false);
    List<String> order = new CopyOnWriteArrayList<>();
    life.open();
    life.whenClosed(
        end ->
            order.add(
                "first "
                    + end
                    + ", delivered "
                    + probe.delivered
                    + ", future done "
                    + life.closeFuture().toCompletableFuture().isDone()));
    life.whenClosed(
        end -> {
          throw new IllegalStateException("a failing action");
        });
    life.whenClosed(end -> order.add("second " + end));
    life.closeFuture().thenAccept(end -> order.add("future " + end));
    assertThat(life.end("peer")).isTrue();
    life.whenClosed(end -> order.add("added while ending " + end));
    assertThat(order).as("nothing runs before the serial executor does").isEmpty();
    time.runUntilIdle();
    assertThat(order)
        .containsExactly(
            "first peer, delivered [peer], future done false",
            "second peer",
            "added while ending peer",
            "future peer");
    life.whenClosed(end -> order.add("late " + end));
    assertThat(order).hasSize(5).last().isEqualTo("late peer");
    assertThat(time.pendingTasks()).isZero();
    assertThatThrownBy(() -> life.whenClosed(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("action");
  }
}
