package io.servicekit.sse;

import io.servicekit.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Time that moves only when a test says so (core tests cannot use the test kit's). */
final class ManualScheduler implements Scheduler {
  private record Task(long at, long seq, Runnable run, boolean[] cancelled) {}

  private final List<Task> tasks = new ArrayList<>();
  private long now;
  private long seq;

  @Override
  public synchronized Cancellable schedule(Runnable task, Duration delay) {
    boolean[] cancelled = new boolean[1];
    tasks.add(new Task(now + delay.toNanos(), seq++, task, cancelled));
    return () -> cancelled[0] = true;
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  synchronized int pending() {
    return (int) tasks.stream().filter(t -> !t.cancelled()[0]).count();
  }

  void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next =
            tasks.stream()
                .filter(t -> t.at() <= target)
                .min(Comparator.comparingLong(Task::at).thenComparingLong(Task::seq))
                .orElse(null);
        if (next == null) {
          now = target;
          return;
        }
        tasks.remove(next);
        now = next.at();
      }
      if (!next.cancelled()[0]) {
        next.run().run();
      }
    }
  }
}
