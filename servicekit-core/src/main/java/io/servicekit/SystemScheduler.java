package io.servicekit;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@link Scheduler#system()}: one daemon thread, cancelled tasks removed at once, and a warning for
 * any task that runs longer than 100 ms (it delays every other timer).
 */
final class SystemScheduler implements Scheduler {
  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(SystemScheduler.class);

  static final SystemScheduler INSTANCE = new SystemScheduler();

  private final ScheduledThreadPoolExecutor executor;

  private SystemScheduler() {
    executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "servicekit-scheduler");
              t.setDaemon(true);
              return t;
            });
    // Heartbeat tasks are cancelled on every close; without this, 10k closed connections would
    // leave 10k dead tasks in the queue until their delay ran out.
    executor.setRemoveOnCancelPolicy(true);
  }

  /** A task running longer than this delays every other timer: it is logged. */
  static final long SLOW_TASK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    ScheduledFuture<?> future =
        executor.schedule(() -> runTimed(task), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    return () -> future.cancel(false);
  }

  /** Runs {@code task}, warning when it held the one scheduler thread too long. */
  static void runTimed(Runnable task) {
    long start = System.nanoTime();
    try {
      task.run();
    } finally {
      long took = System.nanoTime() - start;
      if (took > SLOW_TASK_NANOS) {
        LOG.warn(
            "a scheduler task ran {} ms ({}); scheduled tasks must not block: every heartbeat and"
                + " timeout waits meanwhile",
            TimeUnit.NANOSECONDS.toMillis(took),
            task);
      }
    }
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }
}
