package io.servicekit;

import io.servicekit.internal.SerialExecutor;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The one seam for time and threads: the clock and timers for heartbeats, timeouts and keepalives,
 * and the threads ServiceKit starts (connection callbacks, producers, background tasks). Production
 * code uses {@link #system()}; tests inject the test kit's {@code VirtualScheduler} (tasks and
 * threads queue and run one at a time when the test says so, on virtual time) or its {@code
 * FakeScheduler} (virtual time, real threads, for tests over real sockets).
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

  /**
   * Runs {@code task} on a new thread named {@code name}. The default starts a virtual thread, on
   * which the task may block; a test scheduler may instead queue the task and run it later on the
   * test's thread.
   */
  default void execute(String name, Runnable task) {
    Thread.ofVirtual().name(name).start(task);
  }

  /**
   * An executor that runs its tasks one at a time, in submission order, on threads from {@link
   * #execute}. A task that throws is logged and does not stop the ones after it. No thread is kept
   * while it is idle.
   *
   * @param name the name of the threads it starts
   */
  default Executor serial(String name) {
    return new SerialExecutor(this, name);
  }

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
