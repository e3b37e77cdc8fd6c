package io.servicekit.internal;

import io.servicekit.Scheduler;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one connection's callbacks one at a time, in submission order, on threads from {@link
 * Scheduler#execute} (virtual threads by default). No thread is kept while the connection is idle:
 * a thread is started for a burst of tasks and ends when the queue is empty.
 *
 * <p>Internal: what {@link Scheduler#serial} returns by default; used by the connection drivers and
 * the client; not part of the API.
 */
public final class SerialExecutor implements Executor {
  private static final Logger LOG = LoggerFactory.getLogger(SerialExecutor.class);

  private final Scheduler scheduler;
  private final String name;
  private final ReentrantLock lock = new ReentrantLock();
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(2);
  private boolean running; // guarded by lock

  /** Creates an idle executor on {@link Scheduler#system()}'s threads. */
  public SerialExecutor() {
    this(Scheduler.system(), "servicekit-conn");
  }

  /** Creates an idle executor whose threads, named {@code name}, come from {@code scheduler}. */
  public SerialExecutor(Scheduler scheduler, String name) {
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.name = Objects.requireNonNull(name, "name");
  }

  /**
   * {@link #executeInline} when {@code serial} is a {@code SerialExecutor}, else {@code
   * serial.execute(task)} (a test scheduler's serial executor queues every task).
   */
  public static void executeInline(Executor serial, Runnable task) {
    if (serial instanceof SerialExecutor s) {
      s.executeInline(task);
    } else {
      serial.execute(task);
    }
  }

  @Override
  public void execute(Runnable task) {
    lock.lock();
    try {
      tasks.addLast(task);
      if (running) {
        return;
      }
      running = true;
    } finally {
      lock.unlock();
    }
    scheduler.execute(name, this::runAll);
  }

  /**
   * Like {@link #execute}, but when nothing is running or queued and the caller is a virtual
   * thread, runs {@code task} (and whatever is queued meanwhile) in the caller, saving a thread
   * start and a hand-off. For transport callbacks that may block: a platform thread always hands
   * off.
   */
  public void executeInline(Runnable task) {
    if (!Thread.currentThread().isVirtual()) {
      execute(task);
      return;
    }
    lock.lock();
    try {
      if (running) {
        tasks.addLast(task);
        return;
      }
      running = true;
    } finally {
      lock.unlock();
    }
    runOne(task);
    runAll();
  }

  private void runAll() {
    while (true) {
      Runnable task;
      lock.lock();
      try {
        task = tasks.pollFirst();
        if (task == null) {
          running = false;
          return;
        }
      } finally {
        lock.unlock();
      }
      runOne(task);
    }
  }

  private static void runOne(Runnable task) {
    try {
      task.run();
    } catch (Throwable t) {
      LOG.error("connection callback failed", t);
    }
  }
}
