package io.servicekit;

import java.time.Duration;

/**
 * The source of time for heartbeats, timeouts and keepalives. Production code uses {@link
 * #system()}; tests inject a fake (the test kit's {@code FakeScheduler}) and advance time by hand,
 * so timeout behaviour is tested without sleeping.
 *
 * <p>Scheduled tasks must be short and must not block: the system scheduler runs them on one shared
 * platform thread. ServiceKit hands anything that may block (user callbacks such as {@code
 * onTimeout}) to the connection's own virtual-thread executor.
 */
public interface Scheduler {
  /** Runs {@code task} once after {@code delay}. */
  Cancellable schedule(Runnable task, Duration delay);

  /** Monotonic time in nanoseconds, on the same clock as {@link #schedule}. */
  long nanoTime();

  /** The shared scheduler backed by one daemon thread and {@link System#nanoTime()}. */
  static Scheduler system() {
    return SystemScheduler.INSTANCE;
  }

  /** A handle to a scheduled task. */
  @FunctionalInterface
  interface Cancellable {
    /** Prevents the task from running if it has not started; idempotent. */
    void cancel();
  }
}
