package io.servicekit.testkit;

import io.servicekit.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Scheduler} on virtual time that runs nothing by itself: timers, {@link #execute} tasks
 * and {@link #serial} tasks all queue, and run one at a time on the thread that calls {@link
 * #runUntilIdle} or {@link #advanceBy}, in time order (ties in submission order). A driver over an
 * in-memory transport ({@link MemoryWs}, {@link MemoryStream}) is then fully deterministic: no
 * thread but the test's runs its callbacks, and time moves only when the test says so.
 *
 * <pre>{@code
 * VirtualScheduler time = new VirtualScheduler();
 * WsConfig config = WsConfig.builder().scheduler(time).build();
 * WsDriver connection = WsDriver.create(listener, config, request, null);
 * MemoryWs ws = new MemoryWs(connection);
 * connection.open(ws);
 * time.runUntilIdle();                    // onStart has run
 * time.advanceBy(Duration.ofSeconds(30)); // the first ping is written now
 * }</pre>
 *
 * <p>A task that throws stops the run and the exception reaches the test. A task must not block:
 * nothing else runs meanwhile (a driver task that waits for another task would wait forever). For
 * tests over real sockets, whose transport threads do the work, use {@link FakeScheduler}: the same
 * clock, with real threads.
 */
public class VirtualScheduler implements Scheduler {
  private final ReentrantLock lock = new ReentrantLock();
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long now; // guarded by lock
  private long sequence; // guarded by lock
  private long ran; // guarded by lock
  private @Nullable Thread running; // the thread inside runUntilIdle/advanceBy; guarded by lock

  /** A scheduler at time zero with nothing queued. */
  public VirtualScheduler() {}

  private static final class Task implements Comparable<Task>, Cancellable {
    final long at;
    final long seq;
    final String name;
    final Runnable runnable;
    volatile boolean cancelled;

    Task(long at, long seq, String name, Runnable runnable) {
      this.at = at;
      this.seq = seq;
      this.name = name;
      this.runnable = runnable;
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(at, o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    @Override
    public String toString() {
      return name + "@" + at + "ns";
    }
  }

  private Task enqueue(long delayNanos, String name, Runnable task) {
    Objects.requireNonNull(task, "task");
    lock.lock();
    try {
      Task t = new Task(now + Math.max(0, delayNanos), sequence++, name, task);
      tasks.add(t);
      return t;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    return enqueue(delay.toNanos(), "timer", task);
  }

  /** Queues {@code task} to run now, on the next {@link #runUntilIdle} or {@link #advanceBy}. */
  @Override
  public void execute(String name, Runnable task) {
    enqueue(0, Objects.requireNonNull(name, "name"), task);
  }

  /**
   * An executor whose tasks queue like {@link #execute}: they run one at a time in submission order
   * because every task of this scheduler does.
   */
  @Override
  public Executor serial(String name) {
    Objects.requireNonNull(name, "name");
    return task -> execute(name, task);
  }

  @Override
  public long nanoTime() {
    lock.lock();
    try {
      return now;
    } finally {
      lock.unlock();
    }
  }

  /** Virtual time since creation. */
  public Duration now() {
    return Duration.ofNanos(nanoTime());
  }

  /** Virtual time since creation (the same as {@link #now}). */
  public Duration elapsed() {
    return now();
  }

  /**
   * Runs queued tasks that are due, one at a time, including the ones they queue, until none is
   * due. Time does not move.
   *
   * @return how many tasks ran
   * @throws IllegalStateException if called from inside a task
   */
  public int runUntilIdle() {
    return runUntil(nanoTime());
  }

  /**
   * Moves time forward by {@code duration}, running every task that falls due on the way in time
   * order (time stands at each task's due time while it runs), then what is due at the end.
   *
   * @throws IllegalArgumentException if {@code duration} is negative
   * @throws IllegalStateException if called from inside a task
   */
  public void advanceBy(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("time cannot go back: " + duration);
    }
    runUntil(Math.addExact(nanoTime(), duration.toNanos()));
  }

  private int runUntil(long target) {
    lock.lock();
    try {
      if (running != null) {
        throw new IllegalStateException(
            "runUntilIdle/advanceBy called from inside a task (on " + running + ")");
      }
      running = Thread.currentThread();
    } finally {
      lock.unlock();
    }
    int count = 0;
    try {
      while (true) {
        Task next;
        lock.lock();
        try {
          next = tasks.peek();
          if (next == null || next.at > target) {
            now = Math.max(now, target);
            return count;
          }
          tasks.poll();
          now = Math.max(now, next.at);
          if (next.cancelled) {
            continue;
          }
          ran++;
        } finally {
          lock.unlock();
        }
        count++;
        next.runnable.run();
      }
    } finally {
      lock.lock();
      try {
        running = null;
      } finally {
        lock.unlock();
      }
    }
  }

  /** Tasks queued (timers and runnable tasks) and neither run nor cancelled. */
  public int pendingTasks() {
    lock.lock();
    try {
      return (int) tasks.stream().filter(t -> !t.cancelled).count();
    } finally {
      lock.unlock();
    }
  }

  /** Whether no task is due now ({@link #runUntilIdle} would run nothing). */
  public boolean isIdle() {
    lock.lock();
    try {
      return tasks.stream().noneMatch(t -> !t.cancelled && t.at <= now);
    } finally {
      lock.unlock();
    }
  }

  /** How many tasks have run since creation. */
  public long tasksRun() {
    lock.lock();
    try {
      return ran;
    } finally {
      lock.unlock();
    }
  }
}
