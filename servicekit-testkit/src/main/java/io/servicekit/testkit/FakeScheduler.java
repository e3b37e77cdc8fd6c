package io.servicekit.testkit;

import io.servicekit.Scheduler;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link Scheduler} whose time moves only when a test says so. Tasks run on the thread that calls
 * {@link #advanceBy}, in time order (ties in scheduling order), and may schedule more tasks, which
 * run in the same call if they fall due.
 *
 * <pre>{@code
 * FakeScheduler time = new FakeScheduler();
 * WsConnConfig config = WsConnConfig.builder().scheduler(time).build();
 * ...
 * time.advanceBy(Duration.ofSeconds(29)); // no ping yet
 * time.advanceBy(Duration.ofSeconds(1));  // the first ping is queued now
 * }</pre>
 *
 * <p>A client's connect returns once it has the 101 response, which may be before the server has
 * opened the connection and scheduled its heartbeat on this clock: make one round trip (send a
 * message, await the answer) before advancing time, or the first period starts late.
 *
 * <p>Writes to a real socket still complete in real time, and the write watchdog measures them on
 * this clock: a jump past {@code WsConnConfig.writeTimeout()} (30 s by default) while a frame is
 * being written — one queued by the jump itself, or just before it — makes that write look stuck
 * and aborts the connection. Tests that jump that far set a longer write timeout, e.g. {@code
 * .writeTimeout(Duration.ofDays(1))}, unless the write timeout is what they test.
 */
public final class FakeScheduler implements Scheduler {
  private final ReentrantLock lock = new ReentrantLock();
  private final PriorityQueue<Task> tasks = new PriorityQueue<>();
  private long now; // guarded by lock
  private long sequence; // guarded by lock

  private static final class Task implements Comparable<Task>, Cancellable {
    final long at;
    final long seq;
    final Runnable runnable;
    volatile boolean cancelled;

    Task(long at, long seq, Runnable runnable) {
      this.at = at;
      this.seq = seq;
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
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    lock.lock();
    try {
      Task t = new Task(now + Math.max(0, delay.toNanos()), sequence++, task);
      tasks.add(t);
      return t;
    } finally {
      lock.unlock();
    }
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

  /** Moves time forward by {@code duration}, running every task that falls due on the way. */
  public void advanceBy(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("time cannot go back: " + duration);
    }
    long target;
    lock.lock();
    try {
      target = now + duration.toNanos();
    } finally {
      lock.unlock();
    }
    while (true) {
      Task next;
      lock.lock();
      try {
        next = tasks.peek();
        if (next == null || next.at > target) {
          now = target;
          return;
        }
        tasks.poll();
        now = next.at;
      } finally {
        lock.unlock();
      }
      if (!next.cancelled) {
        next.runnable.run();
      }
    }
  }

  /** Tasks scheduled and neither run nor cancelled. */
  public int pendingTasks() {
    lock.lock();
    try {
      return (int) tasks.stream().filter(t -> !t.cancelled).count();
    } finally {
      lock.unlock();
    }
  }

  /** Time elapsed since creation. */
  public Duration elapsed() {
    return Duration.ofNanos(nanoTime());
  }
}
