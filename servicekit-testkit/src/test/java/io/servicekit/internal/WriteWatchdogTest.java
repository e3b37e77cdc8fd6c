package io.servicekit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.servicekit.testkit.FakeScheduler;
import java.time.Duration;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The write watchdog on the test kit's clock: one check while writes happen, none after {@link
 * WriteWatchdog#stop()} — a scheduled check holds the connection, so a finished one must leave
 * nothing in the scheduler.
 */
class WriteWatchdogTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final FakeScheduler time = new FakeScheduler();
  private final AtomicLong inFlightSince = new AtomicLong(-1);
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicInteger stuck = new AtomicInteger();

  private WriteWatchdog watchdog() {
    return new WriteWatchdog(time, TIMEOUT, inFlightSince::get, ended::get, stuck::incrementAndGet);
  }

  @Test
  void aWriteArmsOneCheckAndAStuckWriteIsReported() {
    WriteWatchdog w = watchdog();
    inFlightSince.set(time.nanoTime());
    w.writeStarted(time.nanoTime());
    w.writeStarted(time.nanoTime());
    assertThat(time.pendingTasks()).isEqualTo(1);

    time.advanceBy(TIMEOUT);

    assertThat(stuck).hasValue(1);
  }

  @Test
  void stopCancelsTheArmedCheck() {
    WriteWatchdog w = watchdog();
    inFlightSince.set(time.nanoTime());
    w.writeStarted(time.nanoTime());
    assertThat(time.pendingTasks()).isEqualTo(1);

    w.stop();

    assertThat(time.pendingTasks()).isZero();
    time.advanceBy(Duration.ofDays(1));
    assertThat(stuck).hasValue(0);
  }

  @Test
  void stopIsIdempotentAndWritesAfterItScheduleNothing() {
    WriteWatchdog w = watchdog();
    w.stop();
    w.stop();
    w.writeStarted(time.nanoTime());
    w.writeStarted(time.nanoTime());

    assertThat(time.pendingTasks()).isZero();
    w.stop();
    assertThat(time.pendingTasks()).isZero();
  }

  @Test
  void stopWhileACheckReArmsLeavesNothingScheduled() {
    // A write in flight for half the timeout: the check re-arms for the rest of it.
    WriteWatchdog w = watchdog();
    inFlightSince.set(time.nanoTime());
    w.writeStarted(time.nanoTime());
    time.advanceBy(TIMEOUT.dividedBy(2));
    inFlightSince.set(time.nanoTime());
    time.advanceBy(TIMEOUT.dividedBy(2));
    assertThat(time.pendingTasks()).isEqualTo(1);

    w.stop();

    assertThat(time.pendingTasks()).isZero();
    time.advanceBy(Duration.ofDays(1));
    assertThat(stuck).hasValue(0);
  }

  @Test
  void aCheckArmedConcurrentlyWithStopIsCancelled() throws Exception {
    // Writers arm while another thread stops: whichever order the two take, nothing may remain.
    for (int round = 0; round < 2_000; round++) {
      WriteWatchdog w = watchdog();
      CyclicBarrier start = new CyclicBarrier(2);
      Thread writer =
          Thread.ofPlatform()
              .start(
                  () -> {
                    await(start);
                    w.writeStarted(time.nanoTime());
                  });
      Thread stopper =
          Thread.ofPlatform()
              .start(
                  () -> {
                    await(start);
                    w.stop();
                  });
      writer.join();
      stopper.join();
      assertThat(time.pendingTasks()).as("round %d", round).isZero();
    }
  }

  private static void await(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
